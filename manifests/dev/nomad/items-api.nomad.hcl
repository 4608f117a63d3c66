# Rendered by deploykit. Do not edit: change the profile and render again.
job "items-api" {
  type        = "service"
  datacenters = ["*"]

  update {
    max_parallel = 1
    health_check = "checks"
    min_healthy_time = "10s"
    healthy_deadline = "300s"
    progress_deadline = "600s"
    auto_revert = true
    canary = 0
  }

  group "items-api" {
    count = 1

    network {
      port "http" {
        to = 8000
      }
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "15s"
      mode     = "fail"
    }

    reschedule {
      delay = "30s"
      delay_function = "exponential"
      max_delay = "1h"
      unlimited = true
    }

    task "migrate" {
      lifecycle {
        hook    = "prestart"
        sidecar = false
      }

      driver       = "docker"
      user         = "10001:10001"
      kill_timeout = "30s"

      config {
        image   = "registry.example.com/acme/items-api:1.4.2"
        command = "python"
        args    = ["-m", "app.migrate"]
        readonly_rootfs = true
        cap_drop        = ["ALL"]
        security_opt    = ["no-new-privileges"]
        pids_limit      = 1024

        mount {
          type     = "tmpfs"
          target   = "/tmp"
          readonly = false

          tmpfs_options {
            size = 268435456
          }
        }
      }

      env {
        FORWARDED_ALLOW_IPS = "172.16.0.0/12,172.17.0.0/16"
        LOG_LEVEL = "debug"
      }

      template {
        data        = "{{ with nomadVar \"nomad/jobs/items-api/items-db\" }}\nDATABASE_URL={{ index . \"url\" | toJSON }}\n{{ end }}\n"
        destination = "secrets/app.env"
        env         = true
        change_mode = "restart"
        splay       = "300s"
      }

      resources {
        cpu    = 250
        memory = 256
      }
    }

    task "items-api" {
      driver       = "docker"
      user         = "10001:10001"
      kill_timeout = "30s"

      shutdown_delay = "15s"

      config {
        image   = "registry.example.com/acme/items-api:1.4.2"
        command = "fastapi"
        args    = ["run", "app/main.py", "--port", "8000", "--workers", "1", "--forwarded-allow-ips", "172.16.0.0/12,172.17.0.0/16"]
        ports   = ["http"]
        readonly_rootfs = true
        cap_drop        = ["ALL"]
        security_opt    = ["no-new-privileges"]
        pids_limit      = 1024

        mount {
          type     = "tmpfs"
          target   = "/tmp"
          readonly = false

          tmpfs_options {
            size = 268435456
          }
        }
      }

      env {
        FORWARDED_ALLOW_IPS = "172.16.0.0/12,172.17.0.0/16"
        LOG_LEVEL = "debug"
      }

      template {
        data        = "{{ with nomadVar \"nomad/jobs/items-api/items-db\" }}\nDATABASE_URL={{ index . \"url\" | toJSON }}\n{{ end }}\n"
        destination = "secrets/app.env"
        env         = true
        change_mode = "restart"
        splay       = "300s"
      }

      resources {
        cpu    = 250
        memory = 256
      }

      service {
        name        = "items-api"
        provider    = "nomad"
        port        = "http"
        tags        = [
          "traefik.enable=true",
          "traefik.http.middlewares.items-api-headers.headers.contentTypeNosniff=true",
          "traefik.http.middlewares.items-api-headers.headers.frameDeny=true",
          "traefik.http.middlewares.items-api-headers.headers.referrerPolicy=strict-origin-when-cross-origin",
          "traefik.http.middlewares.items-api-retry.retry.attempts=3",
          "traefik.http.middlewares.items-api-retry.retry.initialInterval=100ms",
          "traefik.http.routers.items-api.entryPoints=web",
          "traefik.http.routers.items-api.middlewares=items-api-headers,items-api-retry",
          "traefik.http.routers.items-api.rule=Host(`items.localhost`)",
          "traefik.http.routers.items-api.service=items-api",
          "traefik.http.services.items-api.loadbalancer.healthCheck.hostname=items.localhost",
          "traefik.http.services.items-api.loadbalancer.healthCheck.interval=10s",
          "traefik.http.services.items-api.loadbalancer.healthCheck.path=/readyz",
          "traefik.http.services.items-api.loadbalancer.healthCheck.timeout=2s",
        ]
        canary_tags = ["traefik.enable=false"]

        check {
          name     = "ready"
          type     = "http"
          path     = "/readyz"
          interval = "10s"
          timeout  = "2s"

          header {
            Host = ["items.localhost"]
          }
        }

        check {
          name     = "alive"
          type     = "http"
          path     = "/healthz"
          interval = "10s"
          timeout  = "2s"

          header {
            Host = ["items.localhost"]
          }

          check_restart {
            limit = 3
            grace = "60s"
          }
        }
      }
    }
  }
}
