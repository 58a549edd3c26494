"""The field schemas the coercion tests run each kind of cell through."""

TEXT = {"type": "string"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
PHONE = {"type": "string", "x-format": "phone"}
EMAIL = {"type": "string", "format": "email"}
MONEY = {"type": "string", "x-format": "money"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
NPI = {"type": "string", "x-format": "npi"}
CODE = {"type": "string", "x-format": "code"}
