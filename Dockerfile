# Akka.Alerting service image (linux-x64). The Kafka client's native library is the statically linked librdkafka
# that the librdkafka.redist package ships as centos8-librdkafka.so (SASL and TLS built in); a linux-x64 publish
# puts it beside the service's assemblies, where Alerting.Kafka's loader looks for it: no system package is needed.
# alertctl ships beside the service (/app/alertctl), for a pod's preStop hook and for operators (kubectl exec).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Alerting.Service -c Release -r linux-x64 --self-contained false -o /app \
 && test -f /app/centos8-librdkafka.so \
 && rm -rf /app/librdkafka \
 && dotnet publish src/Alerting.Cli -c Release -o /app/alertctl

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# What the service writes: its SQLite state when no PostgreSQL is configured (/data) and temp files (/tmp). Both are
# writable by the service's user; with a read-only root filesystem, mount volumes there.
RUN mkdir -p /data && chown 1000:1000 /data
ENV alerting__persistence__sqlite-path=/data/alerting.db
VOLUME ["/data"]
USER 1000
EXPOSE 8558 8559 4053
ENTRYPOINT ["dotnet", "Alerting.Service.dll"]
CMD ["run", "--config", "hocon/alerting.conf"]
