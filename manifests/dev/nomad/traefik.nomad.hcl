# Rendered by deploykit. Do not edit: change the profile and render again.
job "traefik" {
  type        = "system"
  datacenters = ["*"]

  group "traefik" {
    network {
      port "web" {
        static = 80
        to     = 8080
      }
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "15s"
      mode     = "delay"
    }

    task "traefik" {
      driver       = "docker"
      user         = "10001:10001"
      kill_timeout = "30s"

      identity {
        env = true
      }

      config {
        image = "traefik:v3.7.15"
        ports = ["web"]
        args  = [
          "--global.checkNewVersion=false",
          "--global.sendAnonymousUsage=false",
          "--log.level=INFO",
          "--accessLog=true",
          "--entryPoints.web.address=:8080",
          "--entryPoints.web.http.aliasHeadersStrategy=delete",
          "--serversTransport.forwardingTimeouts.idleConnTimeout=4s",
          "--providers.file.filename=/local/dynamic.yaml",
          "--providers.nomad=true",
          "--providers.nomad.endpoint.address=http://$${attr.unique.network.ip-address}:4646",
          "--providers.nomad.exposedByDefault=false",
        ]
        readonly_rootfs = true
        cap_drop        = ["ALL"]
        security_opt    = ["no-new-privileges"]
        pids_limit      = 1024

        mount {
          type     = "tmpfs"
          target   = "/tmp"
          readonly = false

          tmpfs_options {
            size = 67108864
          }
        }
      }

      template {
        data        = "tls:\n  options:\n    default:\n      minVersion: VersionTLS12\n"
        destination = "local/dynamic.yaml"
        change_mode = "noop"
      }

      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
