"""QR labels for rooms and assets: codes, layouts and PDF sheets; no Flask in here.

codes: the label code and its check character (spec in CODE_FORMAT.md).
layouts: label sheets as data. sheet: streaming PDF, calibration sheet and PNG preview.
"""
