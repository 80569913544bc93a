"""Settings of the benchmark server: the platform's own, with the bench URLconf.

``bench_api_requests.py`` starts gunicorn with ``DJANGO_SETTINGS_MODULE=bench.settings_bench``;
everything else (middleware, authentication, throttling, logging, database and cache) is what
production runs, configured from the environment as usual.
"""

from zone_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_bench"
