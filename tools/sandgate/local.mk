# tools/sandgate
