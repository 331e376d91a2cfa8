// helmrender renders a Helm chart as `helm template` does, for the tests:
// Helm is not packaged for Debian 12, but its template language is Go's
// text/template with the sprig functions (Debian's
// golang-github-masterminds-sprig-dev) and a few built-ins, written here:
// include, tpl, toYaml, fromYaml, required, .Values, .Release, .Chart.
//
// Usage: helmrender CHART_DIR [-f VALUES.yaml ...] [--set path.to.key=value ...]
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "helmrender: "+format+"\n", args...)
	os.Exit(1)
}

func readYAML(path string) map[string]interface{} {
	text, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(text, &out); err != nil {
		fail("%s: %v", path, err)
	}
	return out
}

// merge deep-merges over into base, as Helm merges -f files into values.yaml.
func merge(base, over map[string]interface{}) {
	for k, v := range over {
		if bv, ok := base[k].(map[string]interface{}); ok {
			if ov, ok := v.(map[string]interface{}); ok {
				merge(bv, ov)
				continue
			}
		}
		base[k] = v
	}
}

// set applies --set a.b.c=value (an integer, true/false, or a string).
func set(values map[string]interface{}, assignment string) {
	eq := strings.IndexByte(assignment, '=')
	if eq < 0 {
		fail("--set %s: no '='", assignment)
	}
	path, text := strings.Split(assignment[:eq], "."), assignment[eq+1:]
	var value interface{} = text
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		value = int(n)
	} else if b, err := strconv.ParseBool(text); err == nil {
		value = b
	}
	m := values
	for _, key := range path[:len(path)-1] {
		next, ok := m[key].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			m[key] = next
		}
		m = next
	}
	m[path[len(path)-1]] = value
}

func toYAML(v interface{}) string {
	out, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

func functions(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	f["toYaml"] = toYAML
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		if t, err = t.New("tpl").Parse(text); err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return buf.String(), err
	}
	f["required"] = func(message string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf("%s", message)
		}
		return v, nil
	}
	return f
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: helmrender CHART_DIR [-f VALUES.yaml ...] [--set key=value ...]")
	}
	chartDir := os.Args[1]
	values := readYAML(filepath.Join(chartDir, "values.yaml"))
	for i := 2; i < len(os.Args); i++ {
		if i+1 >= len(os.Args) {
			fail("%s needs a value", os.Args[i])
		}
		switch os.Args[i] {
		case "-f":
			merge(values, readYAML(os.Args[i+1]))
		case "--set":
			set(values, os.Args[i+1])
		default:
			fail("unknown argument %s", os.Args[i])
		}
		i++
	}
	chart := readYAML(filepath.Join(chartDir, "Chart.yaml"))
	namespace, _ := values["namespace"].(string)
	data := map[string]interface{}{
		"Values":  values,
		"Release": map[string]interface{}{"Name": "trawl", "Namespace": namespace, "Service": "Helm"},
		"Chart": map[string]interface{}{"Name": chart["name"], "Version": chart["version"],
			"AppVersion": chart["appVersion"]},
	}
	root := template.New("chart").Option("missingkey=zero")
	root.Funcs(functions(root))
	files, _ := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	sort.Strings(files)
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			fail("%v", err)
		}
		if _, err := root.New("templates/" + filepath.Base(file)).Parse(string(text)); err != nil {
			fail("%v", err)
		}
	}
	for _, file := range files {
		name := "templates/" + filepath.Base(file)
		if strings.HasPrefix(filepath.Base(file), "_") {
			continue
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			fail("%v", err)
		}
		for _, doc := range strings.Split(strings.ReplaceAll(buf.String(), "<no value>", ""), "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			fmt.Printf("---\n# Source: %s\n%s\n", name, strings.Trim(doc, "\n"))
		}
	}
}
