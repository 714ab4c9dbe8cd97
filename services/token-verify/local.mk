# services/token-verify
