# The portal's image: migrate, web (gunicorn), worker and beat all run from it (docker-compose.yml).
# PYTHON_IMAGE is the official image in production; `make deploy-check` passes a stand-in built
# from Debian's packages where no container registry can be reached (scripts/deploy_check.py).
ARG PYTHON_IMAGE=python:3.12-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

# A virtual environment, so that pip never touches the system's Python (Debian's refuses it).
WORKDIR /app
COPY requirements.txt ./
RUN python -m venv /opt/venv && pip install -r requirements.txt

COPY . .
# Translations and static files are built into the image. The secrets here are throwaways: these
# commands read settings but sign, look up or encrypt nothing.
RUN export SECRET_KEY=image-build RECEIPT_LOOKUP_KEY=image-build MFA_SECRETS_KEY=image-build \
    && python manage.py compilemessages --ignore=.venv -v0 \
    && python manage.py collectstatic --no-input -v0

# Run as an unprivileged user; only the media volume (and /tmp, a tmpfs in docker-compose.yml) is
# writable.
RUN useradd --system --uid 10001 --home-dir /app portal \
    && mkdir -p /app/var/media \
    && chown -R portal /app/var
USER portal

EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
