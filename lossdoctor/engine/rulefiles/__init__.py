"""Rule files as data: safe YAML with line numbers, the schema, packs and user overrides, engine texts."""
