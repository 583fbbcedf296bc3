package apkindex
import ("os";"testing";"io")
func TestTmpText(t *testing.T){
 for _, f := range []string{"testdata/alpine-3.18-aarch64.APKINDEX","testdata/postmarketos-aarch64.APKINDEX","testdata/apk-tools-test.APKINDEX"} {
  fh,_ := os.Open(f); pr := NewPackagesReader(fh, f); n:=0
  for { p, err := pr.Next(); if err==io.EOF {break}; if err!=nil {t.Fatal(err)}; n++; _ = p.Row() }
  t.Log(f, n)
 }
}
