# services/token-issuer
