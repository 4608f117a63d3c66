# Rendered by deploykit. Do not edit: change the profile and render again.
# The Nomad ACL policy that lets the app's jobs read its secrets, the Nomad variables under
# "nomad/jobs/items-api". A job's implicit workload policy covers only nomad/jobs/<job> and its group and
# task paths, so attach this policy to each job that reads them, under one policy name per job:
#   nomad acl policy apply -namespace "items" -job "items-api" "items-api-variables" "items-api-variables.policy.hcl"
namespace "items" {
  variables {
    path "nomad/jobs/items-api/*" {
      capabilities = ["read"]
    }
  }
}
