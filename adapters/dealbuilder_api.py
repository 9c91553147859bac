"""Every Dealbuilder path, header, query parameter and field name, in one place.

Dealbuilder's REST API is not publicly documented; these names follow what public integrations show (base `/v1`,
header `x-api-key`, `POST /v1/Documents`, `GET /v1/Documents/{id}`, `GET /v1/Documents?PageSize=...`). Correct them
here against the vendor's documentation; the adapter and the sandbox both read them from this module.
"""

from __future__ import annotations

# --- transport -----------------------------------------------------------------------------------------------
API_KEY_HEADER = "x-api-key"
BASE = "/v1"
TEMPLATES = f"{BASE}/Templates"
DOCUMENTS = f"{BASE}/Documents"


WEBHOOKS = f"{BASE}/Webhooks"


def document_path(document_id: str) -> str:
    return f"{DOCUMENTS}/{document_id}"


def send_path(document_id: str) -> str:
    return f"{DOCUMENTS}/{document_id}/send"


def resend_path(document_id: str) -> str:
    return f"{DOCUMENTS}/{document_id}/resend"


def revoke_path(document_id: str) -> str:
    return f"{DOCUMENTS}/{document_id}/revoke"


# Public pages (no API key): the preview a person opens from the approval form and the signatory's signing page.
PREVIEW_PAGE = "/preview"
SIGNING_PAGE = "/sign"

# --- list query parameters -------------------------------------------------------------------------------------
Q_IDS = "Ids"  # comma-separated document ids
Q_PAGE = "Page"  # 1-based
Q_PAGE_SIZE = "PageSize"
MAX_PAGE_SIZE = 100
Q_ORG_NUMBER = "OrgNumber"
Q_STATUS = "Status"
Q_CUSTOM_FIELD_NAME = "CustomFieldName"
Q_CUSTOM_FIELD_VALUE = "CustomFieldValue"

# --- list envelope -------------------------------------------------------------------------------------------------
L_ITEMS = "items"
L_TOTAL = "totalCount"
L_PAGE = "page"
L_PAGE_SIZE = "pageSize"

# --- template ------------------------------------------------------------------------------------------------------
T_ID = "id"
T_NAME = "name"

# --- document ------------------------------------------------------------------------------------------------------
D_ID = "id"
D_TEMPLATE_ID = "templateId"
D_TEMPLATE_NAME = "templateName"
D_TITLE = "title"
D_STATUS = "status"
D_VALID_UNTIL = "validUntil"  # ISO date: the signing deadline
D_START_DATE = "startDate"  # ISO date: delivery start
D_SENDER = "senderName"
D_BOOKER = "bookerName"
D_SIGNATORIES = "externalSignatories"
D_CUSTOMER = "customer"
D_PRODUCTS = "products"
D_CUSTOM_FIELDS = "customFieldValues"
D_PREVIEW_URL = "previewUrl"
D_PARTIES = "parties"
D_SIGNED_DATE = "signedDate"  # ISO date
D_DECLINED_DATE = "declinedDate"
D_SENT_DATE = "sentDate"
D_CREATED = "createdAt"
D_UPDATED = "updatedAt"  # ISO datetime
D_SEND_METHOD = "sendMethod"
SEND_EMAIL_AND_SMS = "EmailAndSms"

# externalSignatories[]
S_NAME = "name"
S_EMAIL = "email"
S_PHONE = "phoneNumber"
S_COMPANY = "companyName"
S_ORG_NUMBER = "companyOrgNumber"

# parties[] (as read back)
P_NAME = "name"
P_EMAIL = "email"
P_SIGNING_URL = "signingUrl"
P_STATUS = "status"

# customer
C_NAME = "name"
C_ORG_NUMBER = "orgNumber"
C_ADDRESS = "address"
C_POSTAL_CODE = "postalCode"
C_CITY = "city"

# products[]: prices and percentages cross the wire as decimal strings
PR_NAME = "name"
PR_QUANTITY = "quantity"
PR_UNIT_PRICE = "unitPrice"
PR_DISCOUNT = "discountPercent"

# customFieldValues[]
F_NAME = "name"
F_VALUE = "value"

# Our own custom fields on the template (the case key makes a create idempotent).
CF_CASE_KEY = "reforhandlingCaseKey"
CF_ORIGINAL_DOCUMENT = "originalDocumentId"
CF_DEAL_ID = "hubspotDealId"
OWN_CUSTOM_FIELDS = frozenset({CF_CASE_KEY, CF_ORIGINAL_DOCUMENT, CF_DEAL_ID})

# Raw statuses the sandbox uses (the adapter maps raw statuses through settings.dealbuilder.status_map instead).
STATUS_DRAFT = "Draft"
STATUS_SENT = "Sent"
STATUS_VIEWED = "Viewed"
STATUS_SIGNED = "Signed"
STATUS_DECLINED = "Declined"
STATUS_EXPIRED = "Expired"
STATUS_REVOKED = "Revoked"

# --- webhooks ------------------------------------------------------------------------------------------------------
# Public integrations show `DocumentSent`, `DocumentAccepted` and a `webhookKey` in the body; the registration route,
# the other event names and the field names below are our assumption until checked against the vendor's docs.
# Registration (POST WEBHOOKS, listed by GET WEBHOOKS): where to call, for which events, with which shared key.
WH_ID = "id"
WH_URL = "url"
WH_EVENTS = "events"
WH_KEY = "webhookKey"
# The event Dealbuilder posts to a registered URL; the shared key travels in the body (not in a header).
EV_ID = "eventId"
EV_TYPE = "eventType"
EV_DOCUMENT_ID = "documentId"
EV_STATUS = "status"
EV_OCCURRED = "occurredAt"
EV_KEY = WH_KEY
EVENT_SENT = "DocumentSent"
EVENT_SIGNED = "DocumentAccepted"
EVENT_DECLINED = "DocumentDeclined"
EVENT_EXPIRED = "DocumentExpired"
EVENT_REVOKED = "DocumentRevoked"
# Raw status a document reaches -> the event Dealbuilder sends for it.
EVENT_FOR_STATUS = {
    STATUS_SENT: EVENT_SENT,
    STATUS_SIGNED: EVENT_SIGNED,
    STATUS_DECLINED: EVENT_DECLINED,
    STATUS_EXPIRED: EVENT_EXPIRED,
    STATUS_REVOKED: EVENT_REVOKED,
}
# The events that end a signer's wait: what the routine subscribes to.
OUTCOME_EVENTS = (EVENT_SIGNED, EVENT_DECLINED, EVENT_EXPIRED, EVENT_REVOKED)

# Error body
E_MESSAGE = "message"
E_CORRELATION_ID = "correlationId"
