import pytest

from app import create_app
from config import ConfigError, load_config


def test_production_requires_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"TANDEM_ENV": "production"})


def test_database_url_alone_never_switches_mode():
    cfg = load_config({"DATABASE_URL": "postgresql://u@h/db"})
    assert cfg["TANDEM_ENV"] == "development"
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_defaults_embedded_sqlite_and_in_process_jobs():
    cfg = load_config({})
    assert cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///") and cfg["REDIS_URL"] is None
    assert cfg["RATELIMIT_ENABLED"] is True
    assert load_config({"TANDEM_ENV": "testing"})["RATELIMIT_ENABLED"] is False
    assert load_config({"RATELIMIT_ENABLED": "false"})["RATELIMIT_ENABLED"] is False


def test_unknown_mode_is_refused():
    with pytest.raises(ConfigError, match="TANDEM_ENV"):
        load_config({"TANDEM_ENV": "staging"})


def test_production_adds_hsts(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    app = create_app({"TANDEM_ENV": "production", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
                      "SCHEDULER_IN_PROCESS": False})
    response = app.test_client().get("/healthz")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_blas_threads_default_to_one_and_refuse_nonsense():
    assert load_config({})["BLAS_THREADS"] == 1
    assert load_config({"BLAS_THREADS": "0"})["BLAS_THREADS"] == 0
    for bad in ("-1", "two"):
        with pytest.raises(ConfigError, match="BLAS_THREADS"):
            load_config({"BLAS_THREADS": bad})


def _blas_threads():
    from threadpoolctl import threadpool_info

    return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


def test_app_runs_numpy_products_on_the_configured_blas_threads():
    import numpy  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2, user_api="blas"):
        assert _blas_threads() == {2}
        create_app({"TANDEM_ENV": "testing", "BLAS_THREADS": 1})
        assert _blas_threads() == {1}
        threadpool_limits(limits=2, user_api="blas")
        create_app({"TANDEM_ENV": "testing", "BLAS_THREADS": 0})  # 0: left as it is
        assert _blas_threads() == {2}


def test_mining_limits_the_blas_that_scipy_brings_too():
    import numpy as np
    from threadpoolctl import threadpool_limits

    from app.success.mining import cluster

    with threadpool_limits(limits=2, user_api="blas"):
        create_app({"TANDEM_ENV": "testing", "BLAS_THREADS": 1})
        import sklearn.cluster  # noqa: F401  scipy's OpenBLAS, at its own default of a thread per core:
        threadpool_limits(limits=2, user_api="blas")
        vectors = np.random.default_rng(0).standard_normal((60, 8)).astype(np.float32)
        cluster._hdbscan(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
        assert _blas_threads() == {1}
