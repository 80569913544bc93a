"""REST API of information sharing (``/api/v1/filings/…``): enterprise filing status and goods."""
