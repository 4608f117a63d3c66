# Rendered by deploykit. Do not edit: change the profile and render again.
job "traefik" {
  type        = "system"
  datacenters = ["*"]
  namespace   = "items"

  group "traefik" {
    network {
      port "web" {
        static = 80
        to     = 8080
      }
      port "websecure" {
        static = 443
        to     = 8443
      }
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "15s"
      mode     = "delay"
    }

    volume "traefik-acme" {
      type      = "host"
      source    = "traefik-acme"
      read_only = false
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
        ports = ["web", "websecure"]
        args  = [
          "--global.checkNewVersion=false",
          "--global.sendAnonymousUsage=false",
          "--log.level=INFO",
          "--accessLog=true",
          "--entryPoints.web.address=:8080",
          "--entryPoints.web.http.aliasHeadersStrategy=delete",
          "--entryPoints.web.http.redirections.entryPoint.to=:443",
          "--entryPoints.web.http.redirections.entryPoint.scheme=https",
          "--entryPoints.web.http.redirections.entryPoint.permanent=true",
          "--entryPoints.websecure.address=:8443",
          "--entryPoints.websecure.http.aliasHeadersStrategy=delete",
          "--serversTransport.forwardingTimeouts.idleConnTimeout=4s",
          "--providers.file.filename=/local/dynamic.yaml",
          "--providers.nomad=true",
          "--providers.nomad.endpoint.address=http://$${attr.unique.network.ip-address}:4646",
          "--providers.nomad.namespaces=items",
          "--providers.nomad.exposedByDefault=false",
          "--certificatesResolvers.le.acme.email=ops@example.com",
          "--certificatesResolvers.le.acme.storage=/letsencrypt/acme.json",
          "--certificatesResolvers.le.acme.tlsChallenge=true",
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

      volume_mount {
        volume      = "traefik-acme"
        destination = "/letsencrypt"
        read_only   = false
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
