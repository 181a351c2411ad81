package promtext

// The series the benches read.
var (
	// APIServiceCreate and APIServiceStatus are the API server's handling
	// of Service creates and of Service status writes.
	APIServiceCreate = Series{"apiserver_request_duration_seconds", map[string]string{
		"verb": "POST", "resource": "services", "subresource": ""}}
	APIServiceStatus = Series{"apiserver_request_duration_seconds", map[string]string{
		"verb": "PATCH", "resource": "services", "subresource": "status"}}
	// ControllerService is the lblab controller's Service reconciles,
	// their status write included.
	ControllerService = Series{"lblab_controller_reconcile_duration_seconds", map[string]string{"kind": "service"}}
	// SpeakerService is a speaker's time from a Service event to GoBGP.
	SpeakerService = Series{"lblab_speaker_reconcile_duration_seconds", map[string]string{"event": "service"}}
)
