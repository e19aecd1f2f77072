"""Discord's message limits: the only place they are written down."""

CONTENT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL = 6000  # all embeds of one message together
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR_NAME = 256
AUTOCOMPLETE_CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100

#: REST requests per second for the whole bot (Discord's global limit is 50/s); paperbot paces
#: itself just under it, because every 429 also counts toward Discord's invalid-request limit
#: (10,000 401/403/429 answers in 10 minutes get the IP temporarily banned)
GLOBAL_REQUESTS_PER_SECOND = 48

#: a message's ``nonce`` (paperbot's idempotency key; Discord takes up to 25 characters)
NONCE = 25
