"""The rule language: whitelisted condition expressions, the functions they may call, windows in steps."""
