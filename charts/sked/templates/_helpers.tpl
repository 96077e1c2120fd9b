{{/* Chart name, overridable with nameOverride. */}}
{{- define "sked.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name prefix for resources: fullnameOverride, else the release name, with the chart
name appended unless the release name already contains it ("sked" -> "sked",
"prod" -> "prod-sked").
*/}}
{{- define "sked.fullname" -}}
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

{{- define "sked.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "sked.labels" -}}
helm.sh/chart: {{ include "sked.chart" . }}
{{ include "sked.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sked
{{- end }}

{{/* Labels that select the operator pods (immutable once installed). */}}
{{- define "sked.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sked.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* The ServiceAccount the operator runs as. */}}
{{- define "sked.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sked.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The webhook's Service, configuration and the names its certificate is for. */}}
{{- define "sked.webhookService" -}}
{{- printf "%s-webhook" (include "sked.fullname" .) }}
{{- end }}
{{- define "sked.webhookConfiguration" -}}
{{- printf "%s-%s" (include "sked.fullname" .) .Release.Namespace }}
{{- end }}
{{- define "sked.webhookHosts" -}}
{{- $service := include "sked.webhookService" . }}
{{- printf "%s.%s.svc,%s.%s.svc.cluster.local" $service .Release.Namespace $service .Release.Namespace }}
{{- end }}

{{/* The leader-election Lease name. */}}
{{- define "sked.leaderElectionID" -}}
{{- default (printf "%s-operator" (include "sked.fullname" .)) .Values.leaderElection.id }}
{{- end }}

{{/* The image reference: [registry/]repository:tag, repository@digest or repository:tag@digest. */}}
{{- define "sked.image" -}}
{{- $repository := .Values.image.repository }}
{{- with .Values.image.registry }}{{ $repository = printf "%s/%s" (trimSuffix "/" .) $repository }}{{ end }}
{{- if .Values.image.digest }}
{{- if .Values.image.tag }}
{{- printf "%s:%s@%s" $repository .Values.image.tag .Values.image.digest }}
{{- else }}
{{- printf "%s@%s" $repository .Values.image.digest }}
{{- end }}
{{- else }}
{{- printf "%s:%s" $repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
What the operator may do in a namespace it watches: exactly the API calls `sked operator`
makes (see config/rbac/cluster_role.yaml in the sked repository).
*/}}
{{- define "sked.operatorRules" -}}
- apiGroups: ["sked.dev"]
  resources: ["scheduledjobs"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["sked.dev"]
  resources: ["scheduledjobs/status"]
  verbs: ["update", "patch"]
- apiGroups: ["sked.dev"]
  resources: ["scheduledjobs/finalizers"]
  verbs: ["update"]
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list"]
{{- if .Values.rbac.secrets }}
# flinkJob.headersSecretRef only (rbac.secrets), by name when rbac.secretNames lists them
- apiGroups: [""]
  resources: ["secrets"]
  {{- with .Values.rbac.secretNames }}
  resourceNames: {{ toJson . }}
  {{- end }}
  verbs: ["get"]
{{- end }}
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/* Fails on value combinations that would install an operator that cannot work. */}}
{{- define "sked.validate" -}}
{{- if and .Values.rbac.create .Values.rbac.namespaced (empty .Values.watchNamespaces) }}
{{- fail "rbac.namespaced=true needs watchNamespaces: with no namespace listed the operator would watch all namespaces without the rights to" }}
{{- end }}
{{- if and .Values.webhook.enabled (eq .Values.webhook.certificate "certManager") (not (.Capabilities.APIVersions.Has "cert-manager.io/v1/Certificate")) }}
{{- fail "webhook.certificate=certManager needs cert-manager in the cluster (cert-manager.io/v1 Certificate); use webhook.certificate=operator without it" }}
{{- end }}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail "replicaCount > 1 needs leaderElection.enabled=true: replicas without leader election would all start the same runs" }}
{{- end }}
{{- end }}
