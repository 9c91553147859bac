"""The floor every package stands on: settings and the clock; imports nothing of ours."""
