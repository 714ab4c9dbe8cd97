# services/sandbox-destroy
