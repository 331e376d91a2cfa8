{{- define "trawl.labels" -}}
app.kubernetes.io/name: trawl
app.kubernetes.io/managed-by: trawl
{{- end }}

{{- define "trawl.selector" -}}
app.kubernetes.io/name: trawl
app.kubernetes.io/component: {{ . }}
{{- end }}

{{- define "trawl.image" -}}
{{ printf "%s:%s" .Values.image.repository .Values.image.tag | quote }}
{{- end }}

{{- /* A KFL string literal: backslashes and quotes escaped. */ -}}
{{- define "trawl.kfl" -}}
"{{ . | replace "\\" "\\\\" | replace "\"" "\\\"" }}"
{{- end }}

{{- /* The workers' --keep expression; empty when they keep everything. */ -}}
{{- define "trawl.keep" -}}
{{- $ns := list -}}
{{- range .Values.namespaces -}}
{{- $q := include "trawl.kfl" . -}}
{{- $ns = append $ns (printf "src.namespace == %s or dst.namespace == %s" $q $q) -}}
{{- end -}}
{{- $inNamespaces := join " or " $ns -}}
{{- $named := "" -}}
{{- with .Values.podRegex -}}
{{- $q := include "trawl.kfl" . -}}
{{- $named = printf "src.name.matches(%s) or dst.name.matches(%s)" $q $q -}}
{{- end -}}
{{- if and $inNamespaces $named -}}
({{ $inNamespaces }}) and ({{ $named }})
{{- else -}}
{{ $inNamespaces }}{{ $named }}
{{- end -}}
{{- end }}

{{- /* env, ports, probes, mounts: what both containers have. */ -}}
{{- define "trawl.container" -}}
image: {{ include "trawl.image" .root }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
env:
{{- if .node }}
- name: NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
{{- end }}
- name: TRAWL_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.namespace }}-token
      key: token
ports:
- name: http
  containerPort: {{ .port }}
  protocol: TCP
readinessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
resources:
  {{- toYaml .resources | nindent 2 }}
volumeMounts:
- {name: data, mountPath: /data}
- {name: tmp, mountPath: /tmp}
{{- end }}
