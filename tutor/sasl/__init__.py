"""SASL mechanisms, one pure module each; see MECHANISMS for the registry."""
