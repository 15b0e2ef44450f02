# One image for every process of the suite; docker-compose.yml chooses the process with `command`.
FROM python:3.13-slim

ENV PYTHONPATH=/app:/app/protos \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies before the code, so a code change reuses the installed layer.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root: the processes only read it (logs go to stdout, data to MongoDB).
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin cdp
COPY . .
USER cdp

EXPOSE 8080 50051 50052 50053 9091 9092 9093
CMD ["python", "-m", "gateway"]
