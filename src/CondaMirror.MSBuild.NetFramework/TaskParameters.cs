using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild.NetFramework;

/// <summary>
/// A task's parameters read from the .NET task assembly's metadata, without loading it (.NET Framework cannot):
/// the public instance properties of the task type and of its base types inside the same assembly — inputs have a
/// public setter, outputs carry <see cref="OutputAttribute"/> and a public getter, <see cref="RequiredAttribute"/>
/// marks required ones — with the types MSBuild can pass (string, bool, char, the numeric types, DateTime, ITaskItem,
/// and arrays of those). This is what MSBuild itself would find by reflection, so the task class stays the one list.
/// </summary>
internal static class TaskParameters
{
    public static TaskPropertyInfo[] Read(string assemblyPath, string typeFullName)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var type = FindType(reader, typeFullName)
            ?? throw new InvalidOperationException($"{assemblyPath} has no type {typeFullName}.");

        var found = new List<TaskPropertyInfo>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var provider = new ParameterTypeProvider();
        for (TypeDefinitionHandle? current = type; current is { } handle;)
        {
            var definition = reader.GetTypeDefinition(handle);
            foreach (var propertyHandle in definition.GetProperties())
            {
                var property = reader.GetPropertyDefinition(propertyHandle);
                var name = reader.GetString(property.Name);
                if (names.Contains(name)) continue; // declared again lower down: the derived one counts
                var signature = property.DecodeSignature(provider, null);
                if (signature.ParameterTypes.Length != 0 || signature.ReturnType is not { } propertyType) continue;
                var accessors = property.GetAccessors();
                var settable = IsPublicInstance(reader, accessors.Setter);
                var output = HasAttribute(reader, property.GetCustomAttributes(), "OutputAttribute") && IsPublicInstance(reader, accessors.Getter);
                if (!settable && !output) continue;
                var required = HasAttribute(reader, property.GetCustomAttributes(), "RequiredAttribute");
                names.Add(name);
                found.Add(new TaskPropertyInfo(name, propertyType, output, required));
            }
            // Up the hierarchy while the base type is in this assembly; MSBuild's own base class adds no task parameters.
            current = definition.BaseType.Kind == HandleKind.TypeDefinition ? (TypeDefinitionHandle)definition.BaseType : null;
        }
        return found.ToArray();
    }

    private static TypeDefinitionHandle? FindType(MetadataReader reader, string fullName)
    {
        foreach (var handle in reader.TypeDefinitions)
        {
            var type = reader.GetTypeDefinition(handle);
            if (type.GetDeclaringType().IsNil && FullName(reader, type.Namespace, type.Name) == fullName
                && (type.Attributes & TypeAttributes.VisibilityMask) == TypeAttributes.Public)
                return handle;
        }
        return null;
    }

    private static string FullName(MetadataReader reader, StringHandle ns, StringHandle name) =>
        ns.IsNil || reader.GetString(ns).Length == 0 ? reader.GetString(name) : reader.GetString(ns) + "." + reader.GetString(name);

    private static bool IsPublicInstance(MetadataReader reader, MethodDefinitionHandle method)
    {
        if (method.IsNil) return false;
        var attributes = reader.GetMethodDefinition(method).Attributes;
        return (attributes & MethodAttributes.MemberAccessMask) == MethodAttributes.Public && (attributes & MethodAttributes.Static) == 0;
    }

    private static bool HasAttribute(MetadataReader reader, CustomAttributeHandleCollection attributes, string name)
    {
        foreach (var handle in attributes)
        {
            var attribute = reader.GetCustomAttribute(handle);
            EntityHandle owner;
            if (attribute.Constructor.Kind == HandleKind.MemberReference)
                owner = reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
            else if (attribute.Constructor.Kind == HandleKind.MethodDefinition)
                owner = reader.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType();
            else continue;
            var fullName = owner.Kind switch
            {
                HandleKind.TypeReference => FullName(reader, reader.GetTypeReference((TypeReferenceHandle)owner).Namespace, reader.GetTypeReference((TypeReferenceHandle)owner).Name),
                HandleKind.TypeDefinition => FullName(reader, reader.GetTypeDefinition((TypeDefinitionHandle)owner).Namespace, reader.GetTypeDefinition((TypeDefinitionHandle)owner).Name),
                _ => "",
            };
            if (fullName == "Microsoft.Build.Framework." + name) return true;
        }
        return false;
    }

    /// <summary>Signature types as the .NET Framework types MSBuild converts to; null for a type MSBuild cannot pass to a task.</summary>
    private sealed class ParameterTypeProvider : ISignatureTypeProvider<Type?, object?>
    {
        public Type? GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode switch
        {
            PrimitiveTypeCode.String => typeof(string),
            PrimitiveTypeCode.Boolean => typeof(bool),
            PrimitiveTypeCode.Char => typeof(char),
            PrimitiveTypeCode.Byte => typeof(byte),
            PrimitiveTypeCode.SByte => typeof(sbyte),
            PrimitiveTypeCode.Int16 => typeof(short),
            PrimitiveTypeCode.UInt16 => typeof(ushort),
            PrimitiveTypeCode.Int32 => typeof(int),
            PrimitiveTypeCode.UInt32 => typeof(uint),
            PrimitiveTypeCode.Int64 => typeof(long),
            PrimitiveTypeCode.UInt64 => typeof(ulong),
            PrimitiveTypeCode.Single => typeof(float),
            PrimitiveTypeCode.Double => typeof(double),
            _ => null,
        };

        public Type? GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeReference(handle);
            return FullName(reader, type.Namespace, type.Name) switch
            {
                "Microsoft.Build.Framework.ITaskItem" => typeof(ITaskItem),
                "System.DateTime" => typeof(DateTime),
                "System.Decimal" => typeof(decimal),
                _ => null,
            };
        }

        public Type? GetSZArrayType(Type? elementType) => elementType?.MakeArrayType();
        public Type? GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => null;
        public Type? GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) => null;
        public Type? GetArrayType(Type? elementType, ArrayShape shape) => null;
        public Type? GetByReferenceType(Type? elementType) => null;
        public Type? GetPointerType(Type? elementType) => null;
        public Type? GetPinnedType(Type? elementType) => null;
        public Type? GetModifiedType(Type? modifier, Type? unmodifiedType, bool isRequired) => unmodifiedType;
        public Type? GetGenericInstantiation(Type? genericType, ImmutableArray<Type?> typeArguments) => null;
        public Type? GetGenericMethodParameter(object? genericContext, int index) => null;
        public Type? GetGenericTypeParameter(object? genericContext, int index) => null;
        public Type? GetFunctionPointerType(MethodSignature<Type?> signature) => null;
    }
}
