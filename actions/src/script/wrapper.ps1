# Runs one aws:executeScript PowerShell script for runbook-actions' PowerShell runner.
#
# Started as `pwsh -NoLogo -NoProfile -NonInteractive -File wrapper.ps1 -ScriptPath S
# -ResultPath R [-ModuleArchive Z]`, with the step's InputPayload as JSON in $env:InputPayload, as
# the service passes it. What the script puts in the pipeline (or returns) becomes the payload:
# nothing is null, one object is that object, several are a list. `exit N` with N other than 0
# fails the step. The outcome goes to the file at -ResultPath, never to standard output, so
# what the script writes with Write-Host cannot corrupt it:
#   {"ok": true, "payload": ...}
#   {"ok": false, "kind": "exception", "message": "..."}
# A -ModuleArchive (the step's .zip attachment) is expanded next to the script and put first on
# PSModulePath, so the script can import the modules it holds.
param(
    [Parameter(Mandatory = $true)] [string] $ScriptPath,
    [Parameter(Mandatory = $true)] [string] $ResultPath,
    [string] $ModuleArchive
)

function Write-Outcome([System.Collections.IDictionary] $Outcome) {
    $text = ConvertTo-Json -InputObject $Outcome -Depth 100 -Compress
    [System.IO.File]::WriteAllText($ResultPath, $text, [System.Text.UTF8Encoding]::new($false))
}

function Write-Failure([string] $Message) {
    Write-Outcome ([ordered]@{ ok = $false; kind = 'exception'; message = $Message })
}

if ($ModuleArchive) {
    try {
        $modules = Join-Path (Split-Path -Parent $ScriptPath) 'attachment'
        Expand-Archive -LiteralPath $ModuleArchive -DestinationPath $modules -Force
        $env:PSModulePath = $modules + [System.IO.Path]::PathSeparator + $env:PSModulePath
    } catch {
        Write-Failure ('the attachment cannot be expanded: {0}' -f $_.Exception.Message)
        exit 0
    }
}

$global:LASTEXITCODE = 0
try {
    $output = @(& $ScriptPath)
    $code = $global:LASTEXITCODE
} catch {
    $record = $_
    $summary = '{0} - {1}' -f $record.Exception.GetType().Name, $record.Exception.Message
    if ($record.ScriptStackTrace) {
        Write-Failure ($record.ScriptStackTrace + "`n`n" + $summary)
    } else {
        Write-Failure $summary
    }
    exit 0
}
if ($null -ne $code -and $code -ne 0) {
    Write-Failure "the script exited with code $code"
    exit 0
}

switch ($output.Count) {
    0 { $payload = $null }
    1 { $payload = $output[0] }
    default { $payload = $output }
}
try {
    Write-Outcome ([ordered]@{ ok = $true; payload = $payload })
} catch {
    Write-Failure "the script's output cannot be written as JSON: $($_.Exception.Message)"
}
exit 0
