from pathlib import Path

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]

SKIPPING = "import pytest\n\ndef test_needs_a_browser():\n    pytest.skip('no browser')\n"


def test_a_skip_fails_in_ci(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest("-p", "tests.support.ci_plugin", "-p", "no:django")
    result.assert_outcomes(failed=1)


def test_a_skip_stays_a_skip_outside_ci(pytester, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest("-p", "tests.support.ci_plugin", "-p", "no:django")
    result.assert_outcomes(skipped=1)


def test_a_skip_fails_in_ci_on_parallel_workers_too(pytester, monkeypatch):
    # `make test` runs on xdist's workers: the skip happens in a worker and must reach the
    # main process as a failure. The workers import the plugin from this checkout.
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest_subprocess(
        "-p", "tests.support.ci_plugin", "-p", "no:django", "-p", "no:cacheprovider", "-n", "2"
    )
    result.assert_outcomes(failed=1)
