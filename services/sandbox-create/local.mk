# services/sandbox-create
