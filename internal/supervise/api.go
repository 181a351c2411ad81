package supervise

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The API, on a Unix socket:
//
//	GET    /v1/units        → []Status
//	PUT    /v1/units/{id}   ← {"unit": Unit, "restart": "reason"} → Result
//	DELETE /v1/units/{id}
type ensureRequest struct {
	Unit    Unit   `json:"unit"`
	Restart string `json:"restart,omitempty"`
}

// Handler serves the supervisor's API.
func (s *Supervisor) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/units", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, s.Status())
	})
	mux.HandleFunc("PUT /v1/units/{id}", func(w http.ResponseWriter, r *http.Request) {
		var req ensureRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "bad unit: "+err.Error(), http.StatusBadRequest)
			return
		}
		if req.Unit.ID != r.PathValue("id") {
			http.Error(w, fmt.Sprintf("unit id %q does not match the path", req.Unit.ID), http.StatusBadRequest)
			return
		}
		res, err := s.Ensure(req.Unit, req.Restart)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		writeJSON(w, res)
	})
	mux.HandleFunc("DELETE /v1/units/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Remove(r.PathValue("id")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Serve serves the API on a Unix socket at path until ctx ends.
func (s *Supervisor) Serve(ctx context.Context, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	_ = os.Remove(path) // a predecessor's
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", path, err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Client talks to a supervisor.
type Client struct {
	http *http.Client
}

// Dialer opens a connection to a supervisor's socket: net.Dial("unix",
// …) on this machine, an SSH forward into a guest.
type Dialer func(ctx context.Context) (net.Conn, error)

// NewClient returns a client whose connections come from dial.
func NewClient(dial Dialer) *Client {
	return &Client{http: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:     func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
			MaxIdleConns:    1,
			IdleConnTimeout: 30 * time.Second,
		},
	}}
}

// UnixClient is a client of the supervisor listening at path.
func UnixClient(path string) *Client {
	return NewClient(func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	})
}

// Ensure asks the supervisor to converge u (see Supervisor.Ensure).
func (c *Client) Ensure(ctx context.Context, u Unit, restart string) (Result, error) {
	body, err := json.Marshal(ensureRequest{Unit: u, Restart: restart})
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = c.do(ctx, http.MethodPut, "/v1/units/"+url.PathEscape(u.ID), body, &res)
	return res, err
}

// Remove asks the supervisor to stop and forget a unit.
func (c *Client) Remove(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/units/"+url.PathEscape(id), nil, nil)
}

// Status returns the supervisor's units.
func (c *Client) Status(ctx context.Context) ([]Status, error) {
	var out []Status
	err := c.do(ctx, http.MethodGet, "/v1/units", nil, &out)
	return out, err
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, "http://supervisor"+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("failed to reach the supervisor: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("supervisor: %s", strings.TrimSpace(string(data)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }
