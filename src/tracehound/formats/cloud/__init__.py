"""Microsoft 365 / Entra / Azure / AWS / SaaS audit exports."""
