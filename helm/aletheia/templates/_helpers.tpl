{{/* Chart name, overridable. */}}
{{- define "aletheia.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Prefix of every object name: the release name, unless it already says the chart name. */}}
{{- define "aletheia.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "aletheia.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Standard labels. Call with (dict "context" $ "component" "api").
*/}}
{{- define "aletheia.labels" -}}
helm.sh/chart: {{ include "aletheia.chart" .context }}
{{ include "aletheia.selectorLabels" . }}
app.kubernetes.io/version: {{ .context.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: aletheia
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
{{- end }}

{{/* Labels that select a component's pods; they never change across upgrades. */}}
{{- define "aletheia.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aletheia.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "aletheia.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "aletheia.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference: a digest pins the image; otherwise the tag, defaulting to appVersion. */}}
{{- define "aletheia.image" -}}
{{- if .digest }}
{{- printf "%s@%s" .repository .digest }}
{{- else }}
{{- printf "%s:%s" .repository (.tag | default .appVersion) }}
{{- end }}
{{- end }}

{{- define "aletheia.gatewayImage" -}}
{{- include "aletheia.image" (merge (dict "appVersion" .Chart.AppVersion) .Values.image.gateway) }}
{{- end }}

{{- define "aletheia.authImage" -}}
{{- include "aletheia.image" (merge (dict "appVersion" .Chart.AppVersion) .Values.image.auth) }}
{{- end }}

{{/* The Secret holding JWT secrets and database credentials: the chart's own or existingSecret. */}}
{{- define "aletheia.secretName" -}}
{{- default (include "aletheia.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* The hook-time copy of the credentials given in values (the chart's Secret does not exist yet before install). */}}
{{- define "aletheia.migrationSecretName" -}}
{{- printf "%s-migrations" (include "aletheia.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Refuses values that would deploy something broken or ambiguous; renders nothing.
*/}}
{{- define "aletheia.validate" -}}
{{- $s := .Values.secrets }}
{{- if $s.existingSecret }}
{{- range $key := list "jwtSecret" "jwtRefreshSecret" "gatewaySecret" "passwordPepper" "adminUsername" "adminPassword" }}
{{- if index $s $key }}
{{- fail (printf "secrets.%s: leave it empty when secrets.existingSecret is set (put the value in that Secret)" $key) }}
{{- end }}
{{- end }}
{{- range $name, $db := .Values.database }}
{{- if or $db.url $db.password }}
{{- fail (printf "database.%s.url/password: leave them empty when secrets.existingSecret is set (put them in that Secret)" $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- range $key := list "jwtSecret" "jwtRefreshSecret" "gatewaySecret" "passwordPepper" }}
{{- $value := index $s $key }}
{{- if and $value (lt (len $value) 32) }}
{{- fail (printf "secrets.%s: at least 32 characters (or leave it empty to have one generated)" $key) }}
{{- end }}
{{- end }}
{{- if and $s.jwtSecret (eq $s.jwtSecret $s.jwtRefreshSecret) }}
{{- fail "secrets.jwtRefreshSecret: must differ from secrets.jwtSecret" }}
{{- end }}
{{- if ne (empty $s.adminUsername) (empty $s.adminPassword) }}
{{- fail "secrets.adminUsername and secrets.adminPassword: set both or neither" }}
{{- end }}
{{- range $name, $db := .Values.database }}
{{- if not (or $db.url $db.host $s.existingSecret) }}
{{- fail (printf "database.%s: set url, or host (with passwordSecretRef or password), or secrets.existingSecret holding the URL" $name) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Plain settings shared by the gateway, the auth sidecar and the migration Job, as a YAML map.
*/}}
{{- define "aletheia.plainSettings" -}}
NODE_ENV: production
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
API_PORT: {{ .Values.gateway.port | quote }}
AUTH_GRPC_PORT: {{ .Values.auth.port | quote }}
MIGRATE_ON_START: {{ not .Values.migrations.enabled | quote }}
BUSINESS_TIME_ZONE: {{ .Values.config.businessTimeZone | quote }}
JWT_EXPIRES_IN: {{ .Values.config.jwtExpiresIn | quote }}
JWT_REFRESH_EXPIRES_IN: {{ .Values.config.jwtRefreshExpiresIn | quote }}
REFRESH_GRACE_SECONDS: {{ .Values.config.refreshGraceSeconds | quote }}
TRUST_PROXY: {{ .Values.config.trustProxy | quote }}
LOGIN_MAX_FAILURES: {{ .Values.config.loginMaxFailures | quote }}
LOGIN_LOCK_SECONDS: {{ .Values.config.loginLockSeconds | quote }}
LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR: {{ .Values.config.loginAccountMaxFailuresPerHour | quote }}
LOGIN_KNOWN_CLIENT_DAYS: {{ .Values.config.loginKnownClientDays | quote }}
AUTH_CLIENT_MAX_IN_FLIGHT: {{ .Values.config.clientMaxInFlight | quote }}
AUTH_CLIENT_MAX_HASHES_PER_MINUTE: {{ .Values.config.clientMaxHashesPerMinute | quote }}
BCRYPT_COST: {{ .Values.config.bcryptCost | quote }}
CORS_ORIGINS: {{ join "," .Values.config.corsOrigins | quote }}
DOCS_ENABLED: {{ .Values.config.docsEnabled | quote }}
HTTP_HEADERS_TIMEOUT_MS: {{ .Values.config.httpHeadersTimeoutMs | quote }}
HTTP_REQUEST_TIMEOUT_MS: {{ .Values.config.httpRequestTimeoutMs | quote }}
{{- if .Values.gateway.metricsPort }}
METRICS_PORT: {{ .Values.gateway.metricsPort | quote }}
{{- end }}
{{- range $name, $prefix := dict "orders" "API_DB" "auth" "AUTH_DB" }}
{{- $db := index $.Values.database $name }}
{{ $prefix }}_POOL_MAX: {{ $db.poolMax | quote }}
{{ $prefix }}_SYNC_WAIT: {{ $db.syncWait | quote }}
{{- if and (or $db.hosts $db.host) (not $db.url) }}
{{ $prefix }}_HOST: {{ $db.hosts | default (list $db.host) | join "," | quote }}
{{ $prefix }}_PORT: {{ $db.port | quote }}
{{ $prefix }}_NAME: {{ $db.name | quote }}
{{ $prefix }}_USER: {{ $db.user | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Credential env vars of one database. Call with
(dict "context" $ "database" "orders"|"auth" "valuesSecret" <Secret holding values-given credentials>).
*/}}
{{- define "aletheia.databaseSecretEnv" -}}
{{- $ctx := .context }}
{{- $db := index $ctx.Values.database .database }}
{{- $prefix := eq .database "orders" | ternary "API_DB" "AUTH_DB" }}
{{- $urlVar := eq .database "orders" | ternary "ORDERS_DATABASE_URL" "AUTH_DATABASE_URL" }}
{{- $existing := $ctx.Values.secrets.existingSecret }}
{{- if $db.url }}
- name: {{ $urlVar }}
  valueFrom:
    secretKeyRef:
      name: {{ .valuesSecret }}
      key: {{ $urlVar }}
{{- else if $existing }}
- name: {{ $urlVar }}
  valueFrom:
    secretKeyRef:
      name: {{ $existing }}
      key: {{ $urlVar }}
      optional: true
{{- end }}
{{- if $db.passwordSecretRef.name }}
- name: {{ $prefix }}_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $db.passwordSecretRef.name }}
      key: {{ $db.passwordSecretRef.key }}
{{- else if $db.password }}
- name: {{ $prefix }}_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .valuesSecret }}
      key: {{ $prefix }}_PASSWORD
{{- else if $existing }}
- name: {{ $prefix }}_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $existing }}
      key: {{ $prefix }}_PASSWORD
      optional: true
{{- end }}
{{- end }}

{{/* Credentials given in values, as Secret data (base64). */}}
{{- define "aletheia.valuesDatabaseSecretData" -}}
{{- range $name, $prefix := dict "orders" "API_DB" "auth" "AUTH_DB" }}
{{- $db := index $.Values.database $name }}
{{- if $db.url }}
{{ eq $name "orders" | ternary "ORDERS_DATABASE_URL" "AUTH_DATABASE_URL" }}: {{ $db.url | b64enc | quote }}
{{- end }}
{{- if and $db.password (not $db.passwordSecretRef.name) }}
{{ $prefix }}_PASSWORD: {{ $db.password | b64enc | quote }}
{{- end }}
{{- end }}
{{- end }}
