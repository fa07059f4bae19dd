"""Workers load the screening pipeline as they start, in the background (gunicorn.conf.py)."""

from __future__ import annotations

import importlib.util
import threading
import time

from forum import PROJECT_ROOT, screening
from tests.support.fake_pipeline import FakePipeline, screened


class SlowLoadingPipeline(FakePipeline):
    def __init__(self):
        super().__init__()
        self.loaded = threading.Event()
        self.warm_calls = 0

    def warm(self):
        self.warm_calls += 1
        time.sleep(0.2)
        self.loaded.set()


def test_warming_runs_in_the_background_and_loads_once(app_config):
    pipeline = SlowLoadingPipeline()
    screened(app_config, pipeline)
    from forum import create_app

    app = create_app(app_config)
    started = time.perf_counter()
    thread = screening.warm_in_background(app)
    assert time.perf_counter() - started < 0.1  # the worker is free to serve pages at once
    assert thread is not None
    thread.join(2)
    assert pipeline.loaded.is_set() and pipeline.warm_calls == 1


def test_nothing_to_warm_when_screening_is_off(app_config):
    from forum import create_app

    app_config["MODERATION_SCREENING"] = "off"
    assert screening.warm_in_background(create_app(app_config)) is None


def test_a_failing_load_does_not_crash_the_worker(app_config, caplog):
    class Broken(FakePipeline):
        def warm(self):
            raise RuntimeError("checkpoint is corrupt")

    screened(app_config, Broken())
    from forum import create_app

    thread = screening.warm_in_background(create_app(app_config))
    thread.join(2)
    assert "warming the screening pipeline failed" in caplog.text


def test_the_gunicorn_config_warms_each_worker(app_config):
    pipeline = SlowLoadingPipeline()
    screened(app_config, pipeline)
    from forum import create_app

    spec = importlib.util.spec_from_file_location("gunicorn_conf", PROJECT_ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)

    class Worker:  # what gunicorn hands post_worker_init: the loaded app is worker.wsgi
        wsgi = create_app(app_config)

    conf.post_worker_init(Worker())
    assert pipeline.loaded.wait(2)
    assert conf.workers >= 1 and conf.bind
