{{/*
Names. Every resource of a service is "<prefix>-<service>", where the prefix is
global.prefix when set, else the release name without a trailing "-<service>": the
umbrella release "acme" gives acme-catalog, acme-order, …; the standalone releases
"acme-catalog", "acme-order", … give the same names. Callers address each other by
these names, so both ways of installing find each other.
*/}}
{{- define "shop-common.prefix" -}}
{{- $global := .Values.global | default dict -}}
{{- $global.prefix | default (trimSuffix (printf "-%s" .Chart.Name) .Release.Name) | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "shop-common.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" (include "shop-common.prefix" .) .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The gRPC port each service listens on: fixed, so callers need only its name. */}}
{{- define "shop-common.grpcPorts" -}}
{"identity": 50051, "catalog": 50052, "inventory": 50053, "order": 50054, "payment": 50055, "notification": 50056, "analytics": 50057}
{{- end -}}

{{/* The gRPC URL of service .service, called from the chart in .ctx. */}}
{{- define "shop-common.url" -}}
{{- $ports := include "shop-common.grpcPorts" . | fromJson -}}
{{- $port := get $ports .service | required (printf "no service %q" .service) -}}
{{- printf "http://%s-%s:%v" (include "shop-common.prefix" .ctx) .service $port -}}
{{- end -}}

{{- define "shop-common.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "shop-common.labels" -}}
{{ include "shop-common.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: shop
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The image: by digest when one is given (immutable), else by tag. */}}
{{- define "shop-common.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{- define "shop-common.serviceAccountName" -}}
{{- default (include "shop-common.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The Secret the pods read: the operator's, or the one this chart makes from secretEnv. */}}
{{- define "shop-common.secretName" -}}
{{- .Values.existingSecret | default (printf "%s-env" (include "shop-common.fullname" .)) -}}
{{- end -}}

{{/*
Every non-secret setting of the container: the listeners (from .Values.ports), the
upstream URLs (from .Values.upstreams), identity's hashing pool, then .Values.env.
*/}}
{{- define "shop-common.env" -}}
{{- $env := dict -}}
{{- if .Values.ports.http -}}
{{- $_ := set $env "SHOP_HTTP__HOST" "0.0.0.0" -}}
{{- $_ := set $env "SHOP_HTTP__PORT" (toString .Values.ports.http) -}}
{{- end -}}
{{- if .Values.ports.grpc -}}
{{- $_ := set $env "SHOP_GRPC__HOST" "0.0.0.0" -}}
{{- $_ := set $env "SHOP_GRPC__PORT" (toString .Values.ports.grpc) -}}
{{- end -}}
{{- if .Values.ports.metrics -}}
{{- $_ := set $env "SHOP_METRICS__HOST" "0.0.0.0" -}}
{{- $_ := set $env "SHOP_METRICS__PORT" (toString .Values.ports.metrics) -}}
{{- end -}}
{{- range $key, $service := .Values.upstreams -}}
{{- $_ := set $env $key (include "shop-common.url" (dict "ctx" $ "service" $service)) -}}
{{- end -}}
{{- with .Values.passwordHashing -}}
{{- $_ := set $env "SHOP_PASSWORD_HASH_CONCURRENCY" (toString .concurrency) -}}
{{- end -}}
{{- with .Values.ingress -}}
{{- $_ := set $env "SHOP_FORWARDED_HOPS" (ternary (toString .forwardedHops) "0" .enabled) -}}
{{- end -}}
{{- if .Values.embedded -}}
{{- $_ := set $env "SHOP_EMBEDDED" "true" -}}
{{- end -}}
{{- range $key, $value := .Values.env -}}
{{- $_ := set $env $key (toString $value) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/*
The container's resources. With a password-hashing pool (identity), the memory limit
follows its size: each Argon2id hash holds 19 MiB while it runs.
*/}}
{{- define "shop-common.resources" -}}
{{- $resources := deepCopy .Values.resources -}}
{{- with .Values.passwordHashing -}}
{{- $limits := $resources.limits | default dict -}}
{{- $_ := set $limits "memory" (printf "%dMi" (add (int .baseMemoryMi) (mul (int .concurrency) 20))) -}}
{{- $_ := set $resources "limits" $limits -}}
{{- end -}}
{{- toYaml $resources -}}
{{- end -}}
