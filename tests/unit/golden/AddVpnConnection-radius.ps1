# VPN connections to vpn.contoso.example (contoso-p2s) for the Windows built-in client.
# Run in PowerShell: powershell -ExecutionPolicy Bypass -File AddVpnConnection.ps1
# Importing the gateway root (Generic\VpnServerRoot.cer) needs an elevated prompt.
$ErrorActionPreference = 'Stop'
$root = Join-Path $PSScriptRoot '..\Generic\VpnServerRoot.cer'
if (Test-Path $root) {
    Import-Certificate -FilePath $root -CertStoreLocation Cert:\LocalMachine\Root | Out-Null
}

# IKEv2, with the gateway's IKE/IPsec policy.
Add-VpnConnection -Name 'contoso-p2s' -ServerAddress 'vpn.contoso.example' -TunnelType Ikev2 -AuthenticationMethod Eap -EncryptionLevel Required -SplitTunneling -RememberCredential -Force
Set-VpnConnectionIPsecConfiguration -ConnectionName 'contoso-p2s' -AuthenticationTransformConstants SHA256128 -CipherTransformConstants AES256 -EncryptionMethod AES256 -IntegrityCheckMethod SHA256 -DHGroup ECP384 -PfsGroup ECP256 -Force
Add-VpnConnectionRoute -ConnectionName 'contoso-p2s' -DestinationPrefix '10.1.0.0/16'
Add-VpnConnectionRoute -ConnectionName 'contoso-p2s' -DestinationPrefix '10.2.0.0/16'
Add-VpnConnectionRoute -ConnectionName 'contoso-p2s' -DestinationPrefix '192.168.50.0/24'
