FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY optimizer ./optimizer
COPY instances ./instances
RUN pip install --no-cache-dir .
ENTRYPOINT ["magnets"]
CMD ["--help"]
