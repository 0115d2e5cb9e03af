# One image for every service of the platform; docker-compose.yml and deploy/k8s/ pick the command
# (identity-service, portfolio-service, notifications-service, gateway-service, portals-service, identity-admin,
# legacy-simulator, ...). The services and their ports: deploy/services.toml.
#   docker build -t extranet:dev .
# The portals' browser assets (htmx, the FriendlyCaptcha widget), pinned by portals/package-lock.json.
FROM node:20-slim AS portal-assets
WORKDIR /src/portals
COPY portals/package.json portals/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && mkdir -p vendor \
 && cp node_modules/htmx.org/dist/htmx.min.js node_modules/friendly-challenge/widget.module.min.js node_modules/friendly-challenge/widget.min.js vendor/

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY constraints.txt ./
COPY contracts/ contracts/
COPY plumbing/ plumbing/
COPY services/ services/
COPY gateway/ gateway/
COPY portals/ portals/
COPY --from=portal-assets /src/portals/vendor/ portals/src/portals/static/vendor/
COPY legacy/ legacy/
# Every version pinned by constraints.txt, as on the developers' machines.
RUN python -m venv /opt/extranet \
 && /opt/extranet/bin/pip install -c constraints.txt \
      ./contracts ./plumbing \
      ./services/identity ./services/portfolio ./services/enrollment ./services/claims ./services/notifications \
      ./gateway ./portals ./legacy

FROM python:3.11-slim
ENV PATH=/opt/extranet/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    EXTRANET_HTTP_HOST=0.0.0.0 \
    EXTRANET_LOG_FORMAT=json
COPY --from=build /opt/extranet /opt/extranet
RUN useradd --system --uid 10001 --no-create-home extranet
USER 10001
EXPOSE 8000 8010 8101 8102 8103 8104 8105
CMD ["gateway-service"]
