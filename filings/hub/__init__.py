"""The declaration hub (三单申报一口接入): the CEB contract, validation, ingest, codec, reads."""
