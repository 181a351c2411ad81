package v1alpha1_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	celconfig "k8s.io/apiserver/pkg/apis/cel"

	"github.com/lblab/lblab/controller/install"
)

// offlineValidator validates objects with the apiserver's own code paths
// (defaulting, OpenAPI schema, list types, CEL rules), without a server.
// TestIntegrationCELValidation checks the same table against a real one.
type offlineValidator struct {
	structural *structuralschema.Structural
	schema     validation.SchemaCreateValidator
	cel        *cel.Validator
}

func newOfflineValidators(t *testing.T) map[string]*offlineValidator {
	t.Helper()
	crds, err := install.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*offlineValidator{}
	for i := range crds {
		var internal apiextensions.JSONSchemaProps
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(crds[i].Spec.Versions[0].Schema.OpenAPIV3Schema, &internal, nil); err != nil {
			t.Fatal(err)
		}
		ss, err := structuralschema.NewStructural(&internal)
		if err != nil {
			t.Fatal(err)
		}
		sv, _, err := validation.NewSchemaValidator(&internal)
		if err != nil {
			t.Fatal(err)
		}
		out[crds[i].Spec.Names.Kind] = &offlineValidator{structural: ss, schema: sv, cel: cel.NewValidator(ss, true, celconfig.PerCallLimit)}
	}
	return out
}

func (v *offlineValidator) validate(obj map[string]any) error {
	defaulting.Default(obj, v.structural)
	errs := validation.ValidateCustomResource(nil, obj, v.schema)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, v.structural, obj)...)
	celErrs, _ := v.cel.Validate(context.Background(), nil, v.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	errs = append(errs, celErrs...)
	if len(errs) == 0 {
		return nil
	}
	return errors.New(fmt.Sprint(errs.ToAggregate()))
}

// TestValidation checks every case of the table offline, so that -short
// runs cover the CEL rules too.
func TestValidation(t *testing.T) {
	validators := newOfflineValidators(t)
	for i, tc := range validationCases {
		t.Run(tc.name, func(t *testing.T) {
			obj := caseObject(t, tc, i)
			checkValidation(t, tc, validators[tc.kind].validate(obj.Object))
		})
	}
}
