"""Every metadata key and tag dagster-lineage reads or writes on specs, materializations and runs.

Dagster's own keys (``dagster/...``) are the ones its UI shows; ours live under ``dagster_lineage/``
(and ``airflow/`` for what an Airflow DAG run reports). Nothing else in the package spells a key as
a string: import it from here.

Examples:
    >>> from dagster_lineage.defs import metadata_keys as keys
    >>> keys.COLUMN_SCHEMA_KEY, keys.LINEAGE_KEY
    ('dagster/column_schema', 'dagster_lineage/lineage')
"""

# --- Dagster's own keys ---------------------------------------------------------------------------
COLUMN_SCHEMA_KEY = "dagster/column_schema"
"""Dagster's ``TableSchema`` of an asset's output columns (declared on the spec, recorded per run)."""
COLUMN_LINEAGE_KEY = "dagster/column_lineage"
"""Dagster's ``TableColumnLineage`` of an asset's output columns."""
ROW_COUNT_KEY = "dagster/row_count"
"""Dagster's row count of a materialization."""
TABLE_NAME_KEY = "dagster/table_name"
"""Dagster's warehouse table name of an asset."""

# --- the lineage record on a spec -----------------------------------------------------------------
LINEAGE_KEY = "dagster_lineage/lineage"
"""The whole :class:`~dagster_lineage.core.model.AssetLineage` record as JSON."""
ASSET_TYPE_KEY = "dagster_lineage/asset_type"
UNKNOWNS_KEY = "dagster_lineage/unknowns"
LINEAGE_WARNING_KEY = "dagster_lineage/lineage_warning"
COLUMN_LINEAGE_MD_KEY = "Column lineage"
"""A Markdown table of the column lineage on the spec: what open-source Dagster shows (it hides
``dagster/column_lineage``, whose graph is a Dagster+ feature; that goes on materializations)."""
EXPLORER_LINK_KEY = "dagster_lineage/explorer"
"""A link to the asset's page in the lineage explorer (when ``EXPLORER_URL_ENV`` is set)."""
EXPLORER_URL_ENV = "DAGSTER_LINEAGE_EXPLORER_URL"
"""Environment variable: base URL of a running ``dagster-lineage serve`` (or a hosted ``docs`` site)."""

# --- checksums recorded on materializations -------------------------------------------------------
CODE_CHECKSUM_KEY = "dagster_lineage/code_checksum"
SCHEMA_CHECKSUM_KEY = "dagster_lineage/schema_checksum"
DECLARED_SCHEMA_CHECKSUM_KEY = "dagster_lineage/declared_schema_checksum"
SCHEMA_KEY = "dagster_lineage/schema"
"""Legacy: the normalized schema as JSON. No longer written (``dagster/column_schema`` carries the
schema); still read from materializations recorded before."""
DATA_CHECKSUM_KEY = "dagster_lineage/data_checksum"
UPSTREAM_CHECKSUM_KEY = "dagster_lineage/upstream_checksum"
CODE_SCHEME_KEY = "dagster_lineage/code_scheme"
"""The fingerprint scheme of ``dagster_lineage/code_checksum`` (absent: scheme 1, or a checksum the
user supplies)."""
CODE_PARTS_KEY = "dagster_lineage/code_parts"
"""The normalised code the fingerprint hashed, compressed (``changed --explain`` diffs it)."""
PARENT_CHECKSUMS_KEY = "dagster_lineage/parent_checksums"

# --- dbt ------------------------------------------------------------------------------------------
DBT_UNIQUE_ID_KEY = "dagster_lineage/dbt_unique_id"
EXPOSURE_URL_KEY = "url"
EXPOSURE_MATURITY_KEY = "dagster_lineage/exposure_maturity"
DBT_RESOURCE_TYPE_TAG = "dagster_lineage/dbt_resource_type"

# --- Airflow --------------------------------------------------------------------------------------
AIRFLOW_DAG_ID_KEY = "dagster_lineage/airflow_dag_id"
AIRFLOW_DAG_FILE_KEY = "dagster_lineage/airflow_dag_file"
AIRFLOW_TASKS_KEY = "dagster_lineage/airflow_tasks"
AIRFLOW_OUTPUT_TABLES_KEY = "dagster_lineage/airflow_output_tables"
AIRFLOW_OUTLETS_KEY = "dagster_lineage/airflow_outlets"
AIRFLOW_RUN_DAG_ID_KEY = "airflow/dag_id"
AIRFLOW_RUN_ID_KEY = "airflow/dag_run_id"
AIRFLOW_RUN_TYPE_KEY = "airflow/run_type"
AIRFLOW_RUN_TASKS_KEY = "airflow/tasks"
AIRFLOW_LOGICAL_DATE_KEY = "airflow/logical_date"
AIRFLOW_START_DATE_KEY = "airflow/start_date"
AIRFLOW_END_DATE_KEY = "airflow/end_date"
AIRFLOW_END_TIMESTAMP_KEY = "airflow/end_timestamp"

# --- Spark ----------------------------------------------------------------------------------------
SPARK_JOB_FILE_KEY = "dagster_lineage/spark_job_file"
SPARK_ENTRY_KEY = "dagster_lineage/spark_entry"
RUNTIME_LINEAGE_KEY = "dagster_lineage/runtime_lineage"
LINEAGE_MISMATCH_KEY = "dagster_lineage/lineage_mismatch"
LINEAGE_MATCHES_KEY = "dagster_lineage/static_lineage_matches"

# --- file assets ----------------------------------------------------------------------------------
FILE_PATTERNS_KEY = "dagster_lineage/file_patterns"
FILES_KEY = "dagster_lineage/files"
FILE_COUNT_KEY = "dagster_lineage/file_count"

# --- impact analysis ------------------------------------------------------------------------------
REPORT_MD_KEY = "impact_report"
"""The impact report as Markdown."""
REPORT_JSON_KEY = "impact_report_json"
"""The impact report's stable JSON form."""
RISK_LEVEL_KEY = "risk_level"
BREAKING_COUNT_KEY = "breaking"
WARNING_COUNT_KEY = "warnings"
SCHEMA_CHANGES_KEY = "schema_changes"

DEPLOY_DIFF_KEY = "dagster_lineage/deploy_diff"
"""The deploy-diff report (Markdown) on each changed asset's observation."""

# --- run tags -------------------------------------------------------------------------------------
DRIFT_TAG = "dagster_lineage/drift"
"""Tag of a run requested by the schema-drift sensor (the drifted asset)."""
REASON_TAG = "dagster_lineage/reason"
"""Tag of a run requested by the code-change sensor."""
IMPACT_ASSET_TAG = "dagster-lineage/asset"
"""Tag of an impact run (impact job, drift sensor): the changed asset (``a/b``)."""
IMPACT_RISK_TAG = "dagster-lineage/risk"
"""Tag of an impact run: the risk level (``high``, ``medium``, ``low``, ``none``)."""
IMPACT_VERDICT_TAG = "dagster-lineage/verdict"
"""Tag of an impact run: ``block``, ``warn`` or ``pass`` (what the policy decided)."""
VERDICT_KEY = "verdict"
"""The one-line verdict of an impact report (metadata of the impact check and the gate)."""
POLICY_KEY = "policy"
"""Which breaking-change policy decided (metadata of the impact check and the gate)."""
