shared-util
