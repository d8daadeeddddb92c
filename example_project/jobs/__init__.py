"""PySpark jobs of the example pipeline (analysed statically; run by their Dagster assets)."""
