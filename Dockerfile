# One image for every role: `magnets solve|serve|...` (the entry point), and, with the
# entry point set to `dask`, a Dask scheduler or worker for the service's jobs (see
# docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY optimizer ./optimizer
COPY service ./service
COPY cli ./cli
COPY instances ./instances
RUN pip install --no-cache-dir . "dask[distributed]==2026.8.0"
# Not root: `magnets serve` with the default SQLite database writes ./magnets.db here.
RUN useradd --system --create-home magnets && chown magnets /app
USER magnets
EXPOSE 8000 8786 8787
ENTRYPOINT ["magnets"]
CMD ["--help"]
