"""The default rule pack (data only). Installed as the package `lossdoctor.rules`."""
