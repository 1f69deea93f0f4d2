// Command probecheck reads rendered manifests (multi-document YAML on stdin, e.g. `kubectl kustomize
// deploy/openshift`) and, for every probe of every container of every Deployment, builds what the
// kubelet would run, with the kubelet's own code from k8s.io/kubernetes: the HTTP request of an
// httpGet probe (named ports resolved within the probed container only), the port of a tcpSocket or
// grpc probe, the command of an exec probe after $(VAR) expansion. It also prints each container's
// args as the kubelet expands them ($(VAR) from env, downward-API namespace included).
// Output: one JSON document; a probe the kubelet cannot build carries its error.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	v1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	kubecontainer "k8s.io/kubernetes/pkg/kubelet/container"
	"k8s.io/kubernetes/pkg/probe"
	probehttp "k8s.io/kubernetes/pkg/probe/http"
)

// The address the kubelet probes; the caller substitutes the address it runs the container at.
const podIP = "192.0.2.10"

type builtProbe struct {
	Deployment string            `json:"deployment"`
	Container  string            `json:"container"`
	Kind       string            `json:"kind"` // readiness, liveness, startup
	Type       string            `json:"type"` // httpGet, tcpSocket, grpc, exec
	URL        string            `json:"url,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Port       int               `json:"port,omitempty"`
	Command    []string          `json:"command,omitempty"`
	Error      string            `json:"error,omitempty"`
}

type builtContainer struct {
	Deployment string   `json:"deployment"`
	Container  string   `json:"container"`
	Args       []string `json:"args"`
}

type deployment struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Template struct {
			Spec v1.PodSpec `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

func main() {
	docs, err := splitDocuments(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := struct {
		Probes     []builtProbe     `json:"probes"`
		Containers []builtContainer `json:"containers"`
	}{Probes: []builtProbe{}, Containers: []builtContainer{}}
	for _, doc := range docs {
		var d deployment
		if err := yaml.Unmarshal(doc, &d); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if d.Kind != "Deployment" {
			continue
		}
		for i := range d.Spec.Template.Spec.Containers {
			c := &d.Spec.Template.Spec.Containers[i]
			_, args := kubecontainer.ExpandContainerCommandAndArgs(c, staticEnv(c, d.Metadata.Namespace))
			out.Containers = append(out.Containers, builtContainer{d.Metadata.Name, c.Name, args})
			kinds := []struct {
				name  string
				probe *v1.Probe
			}{{"readiness", c.ReadinessProbe}, {"liveness", c.LivenessProbe}, {"startup", c.StartupProbe}}
			for _, k := range kinds {
				if k.probe != nil {
					out.Probes = append(out.Probes, build(d.Metadata.Name, c, k.name, k.probe))
				}
			}
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}

// build does what pkg/kubelet/prober does before it sends a probe.
func build(dep string, c *v1.Container, kind string, p *v1.Probe) builtProbe {
	b := builtProbe{Deployment: dep, Container: c.Name, Kind: kind}
	switch {
	case p.HTTPGet != nil:
		b.Type = "httpGet"
		req, err := probehttp.NewRequestForHTTPGetAction(p.HTTPGet, c, podIP, "probe")
		if err != nil {
			b.Error = err.Error()
			return b
		}
		b.URL = req.URL.String()
		b.Headers = map[string]string{}
		for k := range req.Header {
			b.Headers[k] = req.Header.Get(k)
		}
	case p.TCPSocket != nil:
		b.Type = "tcpSocket"
		port, err := probe.ResolveContainerPort(p.TCPSocket.Port, c)
		if err != nil {
			b.Error = err.Error()
		}
		b.Port = port
	case p.GRPC != nil:
		b.Type = "grpc"
		b.Port = int(p.GRPC.Port)
	case p.Exec != nil:
		b.Type = "exec"
		b.Command = kubecontainer.ExpandContainerCommandOnlyStatic(p.Exec.Command, c.Env)
		if len(b.Command) == 0 {
			b.Error = "exec probe without a command"
		}
	default:
		b.Error = "probe without a handler"
	}
	return b
}

// staticEnv is the container's env as the kubelet resolves it for expansion: literal values, and the
// downward API's metadata.namespace (the only fieldRef our manifests use; others stay unresolved).
func staticEnv(c *v1.Container, namespace string) []kubecontainer.EnvVar {
	var env []kubecontainer.EnvVar
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env = append(env, kubecontainer.EnvVar{Name: e.Name, Value: e.Value})
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			env = append(env, kubecontainer.EnvVar{Name: e.Name, Value: namespace})
		}
	}
	return env
}

func splitDocuments(r io.Reader) ([][]byte, error) {
	var docs [][]byte
	var cur bytes.Buffer
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 1<<20), 16<<20)
	for s.Scan() {
		line := s.Text()
		if strings.TrimRight(line, " ") == "---" {
			if strings.TrimSpace(cur.String()) != "" {
				docs = append(docs, append([]byte(nil), cur.Bytes()...))
			}
			cur.Reset()
			continue
		}
		cur.WriteString(line + "\n")
	}
	if strings.TrimSpace(cur.String()) != "" {
		docs = append(docs, cur.Bytes())
	}
	return docs, s.Err()
}
