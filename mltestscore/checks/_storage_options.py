"""The ``storage_options`` names Polars' object-store reader takes for a data URI
(``polars.scan_parquet(uri, storage_options=...)``), by the URI's scheme.

Polars ignores a name it does not know without a word, so a misspelt ``endpoint_url`` would
send the requests to AWS instead of the endpoint meant: the suite checks the names against
these lists first. They are the object_store crate's configuration keys (``AmazonS3ConfigKey``,
``GoogleConfigKey``, ``AzureConfigKey``, each with its aliases, and the HTTP client's
``ClientConfigKey``, which each store also takes with its prefix: ``aws_allow_http``), as of
its 2026-08 source, and Polars' own (retries, rate limits, an AWS profile).
"""

from __future__ import annotations

from collections.abc import Sequence

_CLIENT_OPTIONS = frozenset(
    [
        "allow_http",
        "allow_invalid_certificates",
        "disable_system_certificates",
        "connect_timeout",
        "default_content_type",
        "http1_only",
        "http2_only",
        "http2_keep_alive_interval",
        "http2_keep_alive_timeout",
        "http2_keep_alive_while_idle",
        "http2_max_frame_size",
        "pool_idle_timeout",
        "pool_max_idle_per_host",
        "proxy_url",
        "proxy_ca_certificate",
        "proxy_excludes",
        "randomize_addresses",
        "read_timeout",
        "timeout",
        "user_agent",
    ]
)
_POLARS_OPTIONS = frozenset(
    [
        "file_cache_ttl",
        "max_retries",
        "retry_timeout_ms",
        "retry_init_backoff_ms",
        "retry_max_backoff_ms",
        "retry_base_multiplier",
        "rate_read_init",
        "rate_read_floor",
        "rate_read_ceiling",
        "rate_write_init",
        "rate_write_floor",
        "rate_write_ceiling",
    ]
)
_STORE_OPTIONS: dict[str, tuple[str, frozenset[str]]] = {
    "aws": (
        "aws_",
        frozenset(
            [
                "aws_access_key_id",
                "access_key_id",
                "aws_secret_access_key",
                "secret_access_key",
                "aws_default_region",
                "default_region",
                "aws_region",
                "region",
                "aws_bucket",
                "aws_bucket_name",
                "bucket_name",
                "bucket",
                "aws_endpoint_url",
                "aws_endpoint",
                "endpoint_url",
                "endpoint",
                "aws_endpoint_url_s3",
                "endpoint_url_s3",
                "aws_session_token",
                "aws_token",
                "session_token",
                "token",
                "aws_virtual_hosted_style_request",
                "virtual_hosted_style_request",
                "aws_s3_express",
                "s3_express",
                "aws_imdsv1_fallback",
                "imdsv1_fallback",
                "aws_metadata_endpoint",
                "metadata_endpoint",
                "aws_unsigned_payload",
                "unsigned_payload",
                "aws_checksum_algorithm",
                "checksum_algorithm",
                "aws_container_credentials_relative_uri",
                "container_credentials_relative_uri",
                "aws_container_credentials_full_uri",
                "container_credentials_full_uri",
                "aws_container_authorization_token_file",
                "container_authorization_token_file",
                "aws_web_identity_token_file",
                "web_identity_token_file",
                "aws_role_arn",
                "role_arn",
                "aws_role_session_name",
                "role_session_name",
                "aws_endpoint_url_sts",
                "endpoint_url_sts",
                "aws_skip_signature",
                "skip_signature",
                "aws_copy_if_not_exists",
                "copy_if_not_exists",
                "aws_conditional_put",
                "conditional_put",
                "aws_disable_tagging",
                "disable_tagging",
                "aws_disable_bulk_delete",
                "disable_bulk_delete",
                "aws_request_payer",
                "request_payer",
                "aws_server_side_encryption",
                "server_side_encryption",
                "aws_sse_kms_key_id",
                "sse_kms_key_id",
                "aws_sse_bucket_key_enabled",
                "sse_bucket_key_enabled",
                "aws_sse_customer_key_base64",
                "sse_customer_key_base64",
                "aws_profile",
                "profile",
            ]
        ),
    ),
    "gcp": (
        "google_",
        frozenset(
            [
                "google_service_account",
                "service_account",
                "google_service_account_path",
                "service_account_path",
                "google_service_account_key",
                "service_account_key",
                "google_bucket",
                "google_bucket_name",
                "bucket",
                "bucket_name",
                "google_base_url",
                "base_url",
                "google_application_credentials",
                "application_credentials",
                "google_bearer_token",
                "bearer_token",
                "token",
                "google_skip_signature",
                "skip_signature",
            ]
        ),
    ),
    "azure": (
        "azure_",
        frozenset(
            [
                "azure_storage_account_key",
                "azure_storage_access_key",
                "azure_storage_master_key",
                "master_key",
                "account_key",
                "access_key",
                "azure_storage_account_name",
                "account_name",
                "azure_storage_client_id",
                "azure_client_id",
                "client_id",
                "azure_storage_client_secret",
                "azure_client_secret",
                "client_secret",
                "azure_storage_tenant_id",
                "azure_storage_authority_id",
                "azure_tenant_id",
                "azure_authority_id",
                "tenant_id",
                "authority_id",
                "azure_storage_authority_host",
                "azure_authority_host",
                "authority_host",
                "azure_storage_sas_key",
                "azure_storage_sas_token",
                "sas_key",
                "sas_token",
                "azure_storage_token",
                "bearer_token",
                "token",
                "azure_storage_use_emulator",
                "use_emulator",
                "azure_storage_endpoint",
                "azure_endpoint",
                "endpoint",
                "azure_msi_endpoint",
                "azure_identity_endpoint",
                "identity_endpoint",
                "msi_endpoint",
                "azure_object_id",
                "object_id",
                "azure_msi_resource_id",
                "msi_resource_id",
                "azure_federated_token_file",
                "federated_token_file",
                "azure_use_fabric_endpoint",
                "use_fabric_endpoint",
                "azure_use_azure_cli",
                "use_azure_cli",
                "azure_skip_signature",
                "skip_signature",
                "azure_container_name",
                "container_name",
                "azure_disable_tagging",
                "disable_tagging",
                "azure_fabric_token_service_url",
                "fabric_token_service_url",
                "azure_fabric_workload_host",
                "fabric_workload_host",
                "azure_fabric_session_token",
                "fabric_session_token",
                "azure_fabric_cluster_identifier",
                "fabric_cluster_identifier",
                "azure_credential_type",
                "credential_type",
                "azure_storage_encryption_key",
                "encryption_key",
            ]
        ),
    ),
}
_SCHEME_STORE = {
    "s3": "aws",
    "s3a": "aws",
    "gs": "gcp",
    "gcs": "gcp",
    "az": "azure",
    "azure": "azure",
    "abfs": "azure",
    "abfss": "azure",
}


def storage_option_names(scheme: str) -> frozenset[str]:
    """The ``storage_options`` names Polars' reader takes for a URI of ``scheme``."""
    names = _CLIENT_OPTIONS | _POLARS_OPTIONS
    store = _SCHEME_STORE.get(scheme.lower())
    if store is not None:
        prefix, own = _STORE_OPTIONS[store]
        names |= own | {prefix + name for name in _CLIENT_OPTIONS}
    if scheme.lower() == "hf":
        names |= {"token"}
    return names


def unknown_storage_option(name: str, schemes: Sequence[str]) -> str | None:
    """Why ``name`` is not a storage option for URIs of ``schemes`` (with the closest known
    name), or None when it is one for at least one of them."""
    import difflib

    known = frozenset().union(*(storage_option_names(s) for s in schemes))
    if name.lower() in known:
        return None
    close = difflib.get_close_matches(name.lower(), sorted(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    spelled = ", ".join(f"{s}://" for s in sorted(set(schemes)))
    return f"not an option Polars' object-store reader takes for {spelled}{hint}"
