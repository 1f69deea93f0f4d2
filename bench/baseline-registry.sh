#!/bin/bash
# The whole registry's facts the way a careful engineer establishes them by hand: kubectl and curl,
# as a script pasted into a terminal. bench/run.ts (section 8) times it, whole process, against
# `flywheel-doctor run` of every check, through the same latency proxy.
#
# Fairness, reviewed:
# - parallel where a person would parallelise: independent questions go out as background jobs
#   (lists grouped into three kubectl processes, the access reviews, one curl for every URL);
# - several kinds per `kubectl get` (one process, its requests one after another, as kubectl does);
# - nothing the doctor skips: each URL once (the doctor asks two twice), only the DNS Service the
#   doctor finds first, logs only of the pods the doctor reads logs of and only the StorageClasses it
#   asks about (LOG_PODS, STORAGE_CLASSES: what a person sees in the first round's output), no
#   describe; the second round waits for the first, as it must: its subjects come from there, and
#   the probe pod runs beside the rest of the second round.
#
# Environment: KUBECTL, KCFG (kubeconfig), NS, GW / ES / NIM (base URLs of the gateway, the Entity
# Store and the NIM proxy), MODEL (a base model id), NIM_DEPLOYMENT (its deployment path),
# LOG_PODS ("pod/container ..."), STORAGE_CLASSES, PROBE_FILE and PROBE_NAME (the PVC probe pod; empty: without it).
set -u
k() { "$KUBECTL" --kubeconfig "$KCFG" "$@"; }
sa() { echo "system:serviceaccount:$NS:$1"; }

# Round 1: every list, the cluster-wide objects, the access reviews and every HTTP answer at once.
k -n "$NS" get deployments,services,pods,persistentvolumeclaims,endpointslices -o json >/dev/null 2>&1 &
k -n "$NS" get configmaps,secrets,roles,rolebindings,events -o json >/dev/null 2>&1 &
k -n "$NS" get nemoevaluators,nimservices,nimcaches,nemocustomizers,podgroups -o json >/dev/null 2>&1 &
k get namespace "$NS" -o json >/dev/null 2>&1 &
k get nodes -o json >/dev/null 2>&1 &
k get customresourcedefinition nemotrainingjobs.nvidia.com -o json >/dev/null 2>&1 &
k -n volcano-system get deployment volcano-scheduler volcano-controllers -o json >/dev/null 2>&1 &
k get queue default -o json >/dev/null 2>&1 &
k -n openshift-dns get service dns-default -o json >/dev/null 2>&1 &
k get securitycontextconstraints nemo-customizer-scc -o json >/dev/null 2>&1 &
k auth can-i delete secrets -n "$NS" --as="$(sa nemoevaluator-sample)" >/dev/null 2>&1 &
k auth can-i use securitycontextconstraints/nemo-customizer-scc -n "$NS" --as="$(sa nemocustomizer-sample)" >/dev/null 2>&1 &
k auth can-i use securitycontextconstraints/nemo-customizer-scc -n "$NS" --as="$(sa default)" >/dev/null 2>&1 &
urls=("$ES/v1/models/$MODEL" "$ES/health"
  "$GW/healthz" "$GW/v1/namespaces" "$GW/v1/models/$MODEL"
  "$GW/v1/deployment/model-deployments/$NIM_DEPLOYMENT" "$GW/v1/deployment/model-deployments"
  "$GW/v1/datastore/namespaces" "$GW/v1/customization/configs" "$GW/v1/evaluation/jobs"
  "$NIM/v1/models")
args=()
for u in "${urls[@]}"; do args+=(-o /dev/null "$u"); done
curl -s -Z "${args[@]}" &
wait

# Round 2: what the first round's answers named, at once: the crashing containers' logs, whether
# the StorageClass of a NIMCache's too-small PVC may grow (STORAGE_CLASSES), and the probe pod (its
# PVC and node are known from round 1; its own steps follow one another).
for c in ${STORAGE_CLASSES:-}; do
  k get storageclass "$c" -o json >/dev/null 2>&1 &
done
for p in $LOG_PODS; do
  k -n "$NS" logs "${p%%/*}" -c "${p##*/}" --tail=40 >/dev/null 2>&1 &
done
if [ -n "${PROBE_FILE:-}" ]; then
  (
    k -n "$NS" apply -f "$PROBE_FILE" >/dev/null
    k -n "$NS" wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$PROBE_NAME" --timeout=90s >/dev/null
    k -n "$NS" logs "$PROBE_NAME" >/dev/null
    k -n "$NS" delete pod "$PROBE_NAME" --wait=false >/dev/null
  ) &
fi
wait
exit 0
