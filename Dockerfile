# The portal's image: web (gunicorn), worker and beat all run from it (docker-compose.yml).
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
# Translations and static files are built into the image. The secrets here are throwaways: these
# commands read settings but sign, look up or encrypt nothing.
RUN export SECRET_KEY=image-build RECEIPT_LOOKUP_KEY=image-build MFA_SECRETS_KEY=image-build \
    && python manage.py compilemessages --ignore=.venv -v0 \
    && python manage.py collectstatic --no-input -v0

# Run as an unprivileged user; only the media volume is writable.
RUN useradd --system --uid 10001 --home-dir /app portal \
    && mkdir -p /app/var/media \
    && chown -R portal /app/var
USER portal

EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
