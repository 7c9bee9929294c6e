{{/*
Everything one service needs: ServiceAccount, ConfigMap (SHOP_* settings), Secret (when
made from secretEnv), Deployment, Service, PodDisruptionBudget, HorizontalPodAutoscaler,
NetworkPolicy and, when enabled, a ServiceMonitor. A service chart renders it with:
{{ include "shop-common.all" . }}
*/}}
{{- define "shop-common.all" -}}
{{- $fullname := include "shop-common.fullname" . -}}
{{- $shared := (.Values.global | default dict).backendsSecret -}}
{{- if not (or .Values.existingSecret .Values.secretEnv $shared .Values.embedded) -}}
{{- fail (printf "%s: set existingSecret or global.backendsSecret (a Secret with the backend URLs and credentials), or secretEnv; embedded=true runs one pod on in-memory stores only" .Chart.Name) -}}
{{- end -}}
{{- if and .Values.embedded (or (gt (int .Values.replicaCount) 1) .Values.autoscaling.enabled) -}}
{{- fail (printf "%s: embedded=true keeps the data in one pod's memory: replicaCount must be 1 and autoscaling off" .Chart.Name) -}}
{{- end -}}
{{- $env := include "shop-common.env" . -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "shop-common.serviceAccountName" . }}
  labels: {{- include "shop-common.labels" . | nindent 4 }}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $fullname }}
  labels: {{- include "shop-common.labels" . | nindent 4 }}
data: {{- $env | nindent 2 }}
{{- if and .Values.secretEnv (not .Values.existingSecret) }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "shop-common.secretName" . }}
  labels: {{- include "shop-common.labels" . | nindent 4 }}
type: Opaque
data:
  {{- range $key, $value := .Values.secretEnv }}
  {{ $key }}: {{ $value | toString | b64enc | quote }}
  {{- end }}
{{- end }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  labels: {{- include "shop-common.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels: {{- include "shop-common.selectorLabels" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels: {{- include "shop-common.selectorLabels" . | nindent 8 }}
        app.kubernetes.io/part-of: shop
      annotations:
        # A change of settings or secrets rolls the pods.
        checksum/config: {{ $env | sha256sum }}
        {{- /* An operator's Secret is read back (lookup; empty when only templating). */}}
        {{- $secrets := list .Values.secretEnv }}
        {{- range compact (list $shared .Values.existingSecret) }}
        {{- $secrets = append $secrets (get (lookup "v1" "Secret" $.Release.Namespace . | default dict) "data") }}
        {{- end }}
        checksum/secret: {{ $secrets | toJson | sha256sum }}
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "shop-common.serviceAccountName" . }}
      automountServiceAccountToken: false
      # Kubernetes' per-Service variables (SHOP_IDENTITY_SERVICE_HOST, …) are not settings;
      # the binaries ignore them too.
      enableServiceLinks: false
      # preStop wait + the binary's drain (at most 20 s) + margin.
      terminationGracePeriodSeconds: {{ add (int .Values.preStopSeconds) 25 }}
      securityContext:
        runAsNonRoot: true
        # The images' own user (distroless "nonroot").
        runAsUser: 65532
        runAsGroup: 65532
        fsGroup: 65532
        seccompProfile:
          type: RuntimeDefault
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets: {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .Chart.Name }}
          image: {{ include "shop-common.image" . | quote }}
          imagePullPolicy: {{ .Values.image.pullPolicy | default (ternary "IfNotPresent" "Always" (not (empty .Values.image.digest))) }}
          command: [{{ .Values.command | quote }}]
          envFrom:
            - configMapRef:
                name: {{ $fullname }}
            {{- with $shared }}
            - secretRef:
                name: {{ . }}
            {{- end }}
            {{- if or .Values.existingSecret .Values.secretEnv }}
            - secretRef:
                name: {{ include "shop-common.secretName" . }}
            {{- end }}
          ports:
            {{- range $name, $port := .Values.ports }}
            - name: {{ $name }}
              containerPort: {{ $port }}
              protocol: TCP
            {{- end }}
          {{- if eq .Values.probe "http" }}
          startupProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 2
            failureThreshold: {{ div (int .Values.startupSeconds) 2 | max 1 }}
          livenessProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 10
            timeoutSeconds: 2
          readinessProbe:
            httpGet: { path: /readyz, port: http }
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
          {{- else }}
          startupProbe:
            grpc: { port: {{ .Values.ports.grpc }} }
            periodSeconds: 2
            failureThreshold: {{ div (int .Values.startupSeconds) 2 | max 1 }}
          livenessProbe:
            grpc: { port: {{ .Values.ports.grpc }} }
            periodSeconds: 10
            timeoutSeconds: 2
          readinessProbe:
            grpc: { port: {{ .Values.ports.grpc }} }
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
          {{- end }}
          lifecycle:
            # Stay up while the endpoints controller, kube-proxy, ingresses and callers'
            # DNS lookups (every 3 s) stop sending here; SIGTERM then drains in-flight calls.
            preStop:
              sleep:
                seconds: {{ .Values.preStopSeconds }}
          resources: {{- include "shop-common.resources" . | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          {{- with .Values.stateDir }}
          volumeMounts:
            - name: state
              mountPath: {{ . }}
          {{- end }}
      {{- if .Values.stateDir }}
      # The pod's own files (it outlives a restart of the container, not the pod).
      volumes:
        - name: state
          emptyDir:
            sizeLimit: 64Mi
      {{- end }}
      {{- with .Values.nodeSelector }}
      nodeSelector: {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations: {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.affinity }}
      affinity: {{- toYaml . | nindent 8 }}
      {{- end }}
      topologySpreadConstraints:
        {{- range $key := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
        - maxSkew: 1
          topologyKey: {{ $key }}
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels: {{- include "shop-common.selectorLabels" $ | nindent 14 }}
        {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  labels: {{- include "shop-common.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  {{- if .Values.service.headless }}
  # Headless: the name resolves to every ready pod, and callers balance their calls over
  # them (one HTTP/2 connection through a cluster IP would pin them all to one pod).
  clusterIP: None
  {{- end }}
  selector: {{- include "shop-common.selectorLabels" . | nindent 4 }}
  ports:
    {{- range $name, $port := .Values.ports }}
    - name: {{ $name }}
      port: {{ $port }}
      targetPort: {{ $name }}
      protocol: TCP
      {{- if eq $name "grpc" }}
      appProtocol: grpc
      {{- end }}
    {{- end }}
{{- if .Values.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $fullname }}
  labels: {{- include "shop-common.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels: {{- include "shop-common.selectorLabels" . | nindent 6 }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $fullname }}
  labels: {{- include "shop-common.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $fullname }}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .Values.autoscaling.targetCPUUtilizationPercentage }}
  behavior: {{- toYaml .Values.autoscaling.behavior | nindent 4 }}
{{- end }}
{{- if .Values.networkPolicy.enabled }}
---
{{ include "shop-common.networkPolicy" . }}
{{- end }}
{{- if .Values.serviceMonitor.enabled }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "shop-common.labels" . | nindent 4 }}
    {{- with .Values.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels: {{- include "shop-common.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: {{ .Values.serviceMonitor.port }}
      path: /metrics
      interval: {{ .Values.serviceMonitor.interval }}
{{- end }}
{{- end -}}

{{/*
Who may talk to the service, and to whom it may talk: its callers (by their
app.kubernetes.io/name) on the gRPC port, scrapers on the metrics port; out to DNS, its
callees' gRPC ports and its backends.
*/}}
{{- define "shop-common.networkPolicy" -}}
{{- $np := .Values.networkPolicy -}}
{{- $ports := include "shop-common.grpcPorts" . | fromJson -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "shop-common.fullname" . }}
  labels: {{- include "shop-common.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels: {{- include "shop-common.selectorLabels" . | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    {{- if .Values.ports.http }}
    # The edge: from the ingress controller (or wherever networkPolicy.ingressFrom says).
    - ports:
        - { port: http, protocol: TCP }
      {{- with $np.ingressFrom }}
      from: {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
    {{- if .Values.callers }}
    - ports:
        - { port: grpc, protocol: TCP }
      from:
        {{- range .Values.callers }}
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: {{ . }}
              app.kubernetes.io/part-of: shop
          {{- with $np.peerNamespaceSelector }}
          namespaceSelector: {{- toYaml . | nindent 12 }}
          {{- end }}
        {{- end }}
    {{- end }}
    {{- if .Values.ports.metrics }}
    - ports:
        - { port: metrics, protocol: TCP }
      {{- with $np.metricsFrom }}
      from: {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
  egress:
    - ports:
        - { port: 53, protocol: UDP }
        - { port: 53, protocol: TCP }
      {{- with $np.dnsTo }}
      to: {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- range $service := (values .Values.upstreams | uniq | sortAlpha) }}
    - ports:
        - { port: {{ get $ports $service }}, protocol: TCP }
      to:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: {{ $service }}
              app.kubernetes.io/part-of: shop
          {{- with $np.peerNamespaceSelector }}
          namespaceSelector: {{- toYaml . | nindent 12 }}
          {{- end }}
    {{- end }}
    {{- range $np.backends }}
    - {{- toYaml . | nindent 6 }}
    {{- end }}
{{- end -}}
