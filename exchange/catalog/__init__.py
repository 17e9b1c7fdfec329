"""The CME module catalog: modules, their versions, credit designations and the catalog pages."""
