shared-core
